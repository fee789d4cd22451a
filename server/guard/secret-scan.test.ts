import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { secretLintProfiler } from "@secretlint/profiler";
import { maskSecret, scanSecrets } from "./secret-scan.ts";

// Built at run time so no literal secret sits in the repository (and no scanner flags this file).
const AWS_ID = "AKIA" + "Z7QW3RTY5UIOPA2S";
const AWS_SECRET = "k3Jd8sLq0" + "Wm2Zx9Vb7Nc5Hg4Fr6Ty1Ui8Op3As2a";
const GHP = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5";
const GH_PAT = "github_pat_" + "11ABCDEFG0" + "a".repeat(12) + "_" + "Zq9".repeat(19) + "xy";
const SLACK = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx";
const TM_KEY = "tm_" + "Qx7vR2mN9pL4kJ8hG6fD3sA1zX5cV0bN7mQ2wE4rT6y";
const PEM = ["-----BEGIN RSA PRIVATE", "KEY-----"].join(" ");

const ids = async (text: string) => (await scanSecrets(text)).map((f) => f.ruleId);

describe("scanSecrets", () => {
  it("finds an AWS access key id and secret access key", async () => {
    const found = await scanSecrets(`creds: ${AWS_ID}\naws_secret_access_key = ${AWS_SECRET}`);
    expect(found.map((f) => f.ruleId)).toEqual(["@secretlint/secretlint-rule-aws/AWSAccessKeyID", "@secretlint/secretlint-rule-aws/AWSSecretAccessKey"]);
    expect(found.every((f) => f.blocking)).toBe(true);
    expect(found[0]?.description).toBe("AWS access key id");
  });

  it("finds GitHub classic and fine-grained tokens", async () => {
    expect(await ids(`token ${GHP}`)).toEqual(["@secretlint/secretlint-rule-github/GITHUB_TOKEN"]);
    expect(await ids(`token ${GH_PAT}`)).toEqual(["@secretlint/secretlint-rule-github/GITHUB_TOKEN"]);
  });

  it("finds a private key header alone, and a whole PEM block once", async () => {
    expect(await ids(`here:\n${PEM}\n`)).toEqual(["team-mesh/private-key-header/PRIVATE_KEY_HEADER"]);
    const block = `${PEM}\n${"MIIEowIBAAKCAQEA".repeat(10)}\n${PEM.replace("BEGIN", "END")}`;
    expect((await scanSecrets(block)).length).toBe(1);
  });

  it("finds Slack tokens and Team Mesh tm_ keys", async () => {
    expect(await ids(`slack ${SLACK}`)).toEqual(["@secretlint/secretlint-rule-slack/SLACK_TOKEN"]);
    const [f] = await scanSecrets(`use Authorization: Bearer ${TM_KEY} please`);
    expect(f).toMatchObject({ ruleId: "team-mesh/api-key/TEAM_MESH_API_KEY", description: "Team Mesh API key (tm_...)", blocking: true });
  });

  it("masks every match: the secret never appears in a finding", async () => {
    const found = await scanSecrets([AWS_ID, `aws_secret_access_key=${AWS_SECRET}`, GHP, SLACK, TM_KEY].join("\n"));
    expect(found).toHaveLength(5);
    const json = JSON.stringify(found);
    for (const s of [AWS_ID, AWS_SECRET, GHP, SLACK, TM_KEY, AWS_SECRET.slice(4, 20), GHP.slice(4, 20)]) expect(json).not.toContain(s);
    expect(found.find((f) => f.ruleId.includes("GITHUB"))?.masked).toMatch(/^ghp_\*+ \(40 chars\)$/);
    expect(maskSecret("short")).toBe("***** (5 chars)");
  });

  it("only warns for low-confidence findings (an AWS account id)", async () => {
    const found = await scanSecrets("aws_account_id = 1234-5678-9012");
    expect(found.length).toBe(1);
    expect(found[0]?.blocking).toBe(false);
  });

  it("cannot be switched off from inside the message (no secretlint-disable)", async () => {
    expect(await ids(`// secretlint-disable\n${GHP}\n// secretlint-enable`)).toHaveLength(1);
  });

  it("finds nothing in normal prose or in the project's own docs", async () => {
    expect(await scanSecrets("Hi team, the deploy is at 3pm. Please review PR #42 and the AWS bill; tokens rotate monthly.")).toEqual([]);
    for (const doc of ["README.md", "docs/architecture.md", "docs/api-routes.md", "docs/cli.md"]) {
      const text = readFileSync(new URL(`../../${doc}`, import.meta.url), "utf8");
      expect(await scanSecrets(text), doc).toEqual([]);
    }
  });

  // secretlint's profiler is on by default: a performance mark per rule per scan, kept forever in
  // the process (memory growing with every send) and a PerformanceObserver callback for each.
  it("keeps nothing behind per scan (secretlint's profiler is off)", async () => {
    const marksBefore = performance.getEntriesByType("mark").length;
    for (let i = 0; i < 20; i++) await scanSecrets(`message ${i} with ${AWS_ID}`);
    expect(performance.getEntriesByType("mark").length).toBe(marksBefore);
    expect(await secretLintProfiler.getEntries()).toHaveLength(0);
  });
});
