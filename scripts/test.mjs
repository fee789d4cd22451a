// `npm test`: every check the project has. Static checks first (stop at the first failure), then
// vitest in phases so the heavy suites never compete for the 2 cores: fast suites together, then
// the real-gateway interop suite, then end-to-end in Chromium. Every phase runs even if an
// earlier one failed, and the run ends with one plain "N passed, N failed, N skipped" line.
// Extra arguments go to every vitest phase (e.g. `npm test -- -t broadcast`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const checks = [
  ["type check", "npx", ["tsc", "-p", "tsconfig.json"]],
  ["lint", "npx", ["eslint", "."]],
  ["web build + bundle budget", "node", ["scripts/check-bundle.mjs"]],
];
const phases = [
  ["fast: unit, fault, web components, integration", ["unit", "web", "integration"]],
  ["interop: real OpenClaw gateways", ["interop"]],
  ["e2e: dashboard in Chromium", ["e2e"]],
];

const run = (name, cmd, args) => {
  console.log(`\n== ${name}`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) console.error(`== ${name} failed (exit ${r.status ?? r.signal})`);
  return r.status === 0;
};

rmSync("test-results/vitest", { recursive: true, force: true });
mkdirSync("test-results/vitest", { recursive: true });

for (const [name, cmd, args] of checks) if (!run(name, cmd, args)) process.exit(1);

let ok = true;
const totals = { passed: 0, failed: 0, skipped: 0 };
phases.forEach(([name, projects], i) => {
  const report = `test-results/vitest/phase-${i + 1}.json`;
  const args = ["vitest", "run", ...projects.flatMap((p) => ["--project", p])];
  args.push("--reporter=default", "--reporter=json", `--outputFile.json=${report}`);
  // A filter given on the command line may match nothing in some phases.
  if (process.argv.length > 2) args.push("--passWithNoTests", ...process.argv.slice(2));
  if (!run(name, "npx", args)) ok = false;
  if (!existsSync(report)) {
    ok = false;
    return;
  }
  const r = JSON.parse(readFileSync(report, "utf8"));
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
});

console.log(`\nvitest: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
