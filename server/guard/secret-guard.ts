// The secret check every outgoing message passes (REST, MCP and A2A all send through
// server/messaging's send() and create()). Findings become warnings (masked); a high-confidence
// one refuses the send (422 SECRET_DETECTED) unless the caller may override (secrets:override,
// admins) and asked to (allowSecrets: true). Refusals and overrides are audited, masked.
import type { Warning } from "../../shared/api/common.ts";
import type { AuditLog } from "../audit/types.ts";
import { can } from "../auth/index.ts";
import type { Principal } from "../auth/types.ts";
import { ApiError } from "../errors.ts";
import { scanSecrets, type SecretFinding } from "./secret-scan.ts";

export interface SecretCheck {
  principal: Principal;
  allowSecrets: boolean;
  dryRun: boolean;
  /** What is being sent, for the audit entry: "send" to a handle, or "broadcast". */
  action: "send" | "broadcast";
  teammate?: string;
  session?: string;
}

export interface SecretGuard {
  /** The warnings to show; throws SECRET_DETECTED or SECRET_OVERRIDE_FORBIDDEN. */
  check(text: string, c: SecretCheck): Promise<Warning[]>;
}

const publicFinding = (f: SecretFinding) => ({ ruleId: f.ruleId, description: f.description, match: f.masked, blocking: f.blocking });

export function secretWarnings(findings: SecretFinding[]): Warning[] {
  return findings.map((f) => ({
    code: f.blocking ? "SECRET_DETECTED" : "SECRET_SUSPECTED",
    message: `${f.blocking ? "Secret" : "Possible secret"}: ${f.description} (${f.masked}), rule ${f.ruleId}`,
  }));
}

export function createSecretGuard(audit: AuditLog): SecretGuard {
  return {
    async check(text, c) {
      if (c.allowSecrets && !can(c.principal.role, "secrets:override")) {
        throw new ApiError("SECRET_OVERRIDE_FORBIDDEN", "Only an admin may send a message the secret scanner blocks (allowSecrets)");
      }
      const findings = await scanSecrets(text);
      const warnings = secretWarnings(findings);
      const blocking = findings.filter((f) => f.blocking);
      if (c.dryRun || blocking.length === 0) return warnings;
      const where = { actor: c.principal.label, kind: "guard" as const, teammate: c.teammate ?? null, session: c.session ?? null };
      const details = { target: c.action, findings: findings.map(publicFinding) };
      if (!c.allowSecrets) {
        audit.append({ ...where, outcome: "failed", errorCode: "SECRET_DETECTED", details: { action: "secret_blocked", ...details } });
        const list = blocking.map((f) => `${f.description} (${f.masked})`).join(", ");
        throw new ApiError("SECRET_DETECTED", `The message contains what looks like a secret: ${list}. Remove it; an admin may send it anyway with allowSecrets.`, {
          findings: findings.map(publicFinding),
        });
      }
      audit.append({ ...where, outcome: "ok", details: { action: "secret_override", ...details } });
      return warnings;
    },
  };
}
