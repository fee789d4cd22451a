// Secret scanning of an outgoing message with secretlint (the maintained recommend preset plus
// server/guard/team-mesh-rules.ts). A finding carries the rule, a description and the match
// MASKED: the secret itself never leaves this file.
import { lintSource } from "@secretlint/core";
import { secretLintProfiler } from "@secretlint/profiler";
import { rules as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretLintCoreConfigRule } from "@secretlint/types";
import { pemHeaderRule, teamMeshKeyRule } from "./team-mesh-rules.ts";

// secretlint profiles every scan unless told not to (secretlint/secretlint#1633): a performance
// mark per rule, kept in the process for good, plus an observer callback for each. On a server
// that scans every send that is memory growing with traffic and ~15 % of a send's CPU.
secretLintProfiler.setEnabled(false);

export interface SecretFinding {
  ruleId: string;
  /** What kind of secret, in words. */
  description: string;
  /** The match with all but its first few characters replaced by `*`. */
  masked: string;
  /** High confidence: the send is refused unless an admin overrides. */
  blocking: boolean;
}

/** Findings that are often harmless (an account number, a test key, a URL with a password placeholder): warn only. */
const WARN_ONLY = new Set(["AWSAccountID", "BasicAuth", "MongoDBConnection", "MySQLConnection", "PostgreSQLConnection", "STRIPE_SECRET_KEY_TEST", "STRIPE_RESTRICTED_KEY_TEST"]);

// The preset's filter-comments rule is left out on purpose: it honours `secretlint-disable` comments,
// which would let a message switch its own scan off.
const config: SecretLintCoreConfigRule[] = [
  ...recommended
    .filter((r) => r.meta.id !== "@secretlint/secretlint-rule-filter-comments")
    .map((rule) => ({
      id: rule.meta.id,
      rule,
      // the AWS rule scans access key ids only when asked; an id next to its secret is the usual leak
      options: rule.meta.id === "@secretlint/secretlint-rule-aws" ? { enableIDScanRule: true } : {},
    })),
  { id: teamMeshKeyRule.meta.id, rule: teamMeshKeyRule },
  { id: pemHeaderRule.meta.id, rule: pemHeaderRule },
] as SecretLintCoreConfigRule[];

const DESCRIPTIONS: Record<string, string> = {
  AWSAccessKeyID: "AWS access key id",
  AWSSecretAccessKey: "AWS secret access key",
  AWSAccountID: "AWS account id",
  GITHUB_TOKEN: "GitHub token",
  SLACK_TOKEN: "Slack token",
  IncomingWebhook: "Slack incoming webhook URL",
  PrivateKey: "Private key",
  BasicAuth: "Password in a URL (basic auth)",
};

export function maskSecret(match: string): string {
  const shown = match.length >= 16 ? 4 : 0;
  return match.slice(0, shown) + "*".repeat(Math.min(match.length - shown, 24)) + ` (${match.length} chars)`;
}

export async function scanSecrets(text: string): Promise<SecretFinding[]> {
  const result = await lintSource({
    source: { filePath: "/message.txt", content: text, contentType: "text", ext: ".txt" },
    options: { config: { rules: config }, maskSecrets: true },
  });
  const seen = new Set<string>();
  const findings: SecretFinding[] = [];
  // The PEM header rule and the preset's privatekey rule can both see one key: one finding per range start.
  for (const m of [...result.messages].sort((a, b) => a.range[0] - b.range[0])) {
    const key = `${m.range[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const match = text.slice(m.range[0], m.range[1]);
    findings.push({
      ruleId: m.messageId ? `${m.ruleId}/${m.messageId}` : m.ruleId,
      // the preset's messages read "found <kind>(<masked>): <masked>"; keep the kind
      description: DESCRIPTIONS[m.messageId] ?? (m.message.startsWith("found ") ? (m.message.slice(6).split(/[:(]/)[0] ?? "").trim() : m.message),
      masked: maskSecret(match),
      blocking: !WARN_ONLY.has(m.messageId),
    });
  }
  return findings;
}
