// `npm test`: every check the project has. Static checks first (stop at the first failure), then
// vitest in phases so the heavy suites never compete for the 2 cores: fast suites together, then
// the real-gateway interop suite, then end-to-end in Chromium. Every phase runs even if an
// earlier one failed, and the run ends with one plain "N passed, N failed, N skipped" line.
// Extra arguments go to every vitest phase (e.g. `npm test -- -t broadcast`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { interopVersions, writeMatrixRow } from "./interop-matrix.mjs";

const checks = [
  ["type check", "npx", ["tsc", "-p", "tsconfig.json"]],
  ["lint", "npx", ["eslint", "."]],
  ["web build + bundle budget", "node", ["scripts/check-bundle.mjs"]],
];
// The interop phase runs once per OpenClaw version: the newest release line by default, every
// release line with MESH_OPENCLAW_MATRIX=all (what .ci/run sets), one after another.
const versions = interopVersions();
const phases = [
  ["fast: unit, fault, web components, integration", ["unit", "web", "integration"]],
  ...versions.map((v) => [`interop: real OpenClaw ${v} gateways`, ["interop"], v]),
  ["e2e: dashboard in Chromium", ["e2e"]],
];

const run = (name, cmd, args, env = process.env) => {
  console.log(`\n== ${name}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) console.error(`== ${name} failed (exit ${r.status ?? r.signal})`);
  return r.status === 0;
};

rmSync("test-results/vitest", { recursive: true, force: true });
mkdirSync("test-results/vitest", { recursive: true });

for (const [name, cmd, args] of checks) if (!run(name, cmd, args)) process.exit(1);

let ok = true;
const totals = { passed: 0, failed: 0, skipped: 0 };
phases.forEach(([name, projects, openclaw], i) => {
  const report = `test-results/vitest/phase-${i + 1}.json`;
  const args = ["vitest", "run", ...projects.flatMap((p) => ["--project", p])];
  args.push("--reporter=default", "--reporter=json", `--outputFile.json=${report}`);
  // A filter given on the command line may match nothing in some phases.
  if (process.argv.length > 2) args.push("--passWithNoTests", ...process.argv.slice(2));
  const env = openclaw ? { ...process.env, OPENCLAW_VERSION: openclaw } : process.env;
  if (!run(name, "npx", args, env)) ok = false;
  if (!existsSync(report)) {
    ok = false;
    return;
  }
  const r = JSON.parse(readFileSync(report, "utf8"));
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // a filtered run says nothing about a version: only whole interop runs write its table row
  if (openclaw && process.argv.length <= 2) writeMatrixRow(openclaw, r);
});

console.log(`\nvitest: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
