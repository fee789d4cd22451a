// `npm test`: every check the project has, in order, failing on the first failure.
// Ends with one plain "N passed, N failed, N skipped" line taken from vitest's JSON report.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const steps = [
  ["type check", "npx", ["tsc", "-p", "tsconfig.json"]],
  ["lint", "npx", ["eslint", "."]],
  ["web build + bundle budget", "node", ["scripts/check-bundle.mjs"]],
  [
    "vitest",
    "npx",
    ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=test-results/vitest.json", ...process.argv.slice(2)],
  ],
];

rmSync("test-results/vitest.json", { force: true });
mkdirSync("test-results", { recursive: true });
let failed = false;
for (const [name, cmd, args] of steps) {
  if (name.startsWith("web build") && !existsSync("scripts/check-bundle.mjs")) continue;
  console.log(`\n== ${name}`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`== ${name} failed (exit ${r.status ?? r.signal})`);
    failed = true;
    if (name !== "vitest") break;
  }
}

if (existsSync("test-results/vitest.json")) {
  const report = JSON.parse(readFileSync("test-results/vitest.json", "utf8"));
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`\nvitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
}
process.exit(failed ? 1 : 0);
