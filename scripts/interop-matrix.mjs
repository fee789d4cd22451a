// The OpenClaw release-line matrix of the interop suite: which versions one `npm test` runs, and
// the table in docs/gateway-connector.md that every interop phase rewrites (its row per version).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MATRIX_EXCLUDED, NEWEST_OPENCLAW, OPENCLAW_RELEASE_LINES } from "../test/support/openclaw-release-lines.ts";

/** MESH_OPENCLAW_MATRIX=all: every release line, newest first; else $OPENCLAW_VERSION or the newest. */
export function interopVersions(env = process.env) {
  if (env.MESH_OPENCLAW_MATRIX === "all") return [...OPENCLAW_RELEASE_LINES].reverse().filter((v) => !(v in MATRIX_EXCLUDED));
  return [env.OPENCLAW_VERSION?.trim() || NEWEST_OPENCLAW];
}

const DOC = "docs/gateway-connector.md";
const START = "<!-- interop-matrix:start (written by scripts/test.mjs from the interop phases' reports) -->";
const END = "<!-- interop-matrix:end -->";

/** Per test file of one vitest JSON report: passed / failed / skipped counts and failed titles. */
export function summarize(report) {
  const files = new Map();
  for (const f of report.testResults ?? []) {
    const name = path.basename(f.name).replace(/\.test\.ts$/, "");
    const s = { passed: 0, failed: 0, skipped: 0, failedTitles: [] };
    for (const a of f.assertionResults ?? []) {
      if (a.status === "passed") s.passed++;
      else if (a.status === "failed") { s.failed++; s.failedTitles.push(a.title); }
      else s.skipped++;
    }
    // a file that failed to load has no assertions but a failed status
    if (f.status === "failed" && s.failed === 0) { s.failed = 1; s.failedTitles.push(f.message?.split("\n")[0] ?? "file failed"); }
    files.set(name, s);
  }
  return files;
}

const cell = (s) => {
  if (!s) return "–";
  const base = s.failed ? `**${s.failed} failed** / ${s.passed + s.failed}: ${s.failedTitles.slice(0, 3).join("; ")}` : `${s.passed}/${s.passed} ✓`;
  // a skipped scenario is a known gap of that version: the table says so
  return s.skipped ? `${base}, ${s.skipped} skipped` : base;
};

/** Rewrite this version's row of the table (other versions' rows stay as they were). */
export function writeMatrixRow(version, report, { doc = DOC, date = new Date().toISOString().slice(0, 10) } = {}) {
  const text = readFileSync(doc, "utf8");
  const a = text.indexOf(START), b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${doc} has no interop matrix markers`);
  const files = summarize(report);
  const rows = new Map();
  let columns = [];
  for (const line of text.slice(a + START.length, b).split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells[0] === "OpenClaw") columns = cells.slice(2);
    else if (/^\d{4}\.\d+\.\d+/.test(cells[0] ?? "")) rows.set(cells[0], cells);
  }
  columns = [...new Set([...columns, ...files.keys()])].sort();
  const row = [version, date, ...columns.map((c) => cell(files.get(c)))];
  rows.set(version, row);
  // rows written before a column existed get "–" there
  const width = columns.length + 2;
  const body = [...rows.values()]
    .map((r) => (r.length < width ? [...r, ...Array(width - r.length).fill("–")] : r))
    .sort((x, y) => y[0].localeCompare(x[0], "en", { numeric: true }))
    .map((r) => `| ${r.join(" | ")} |`);
  const table = [`| OpenClaw | run on | ${columns.join(" | ")} |`, `|${"---|".repeat(width)}`, ...body].join("\n");
  writeFileSync(doc, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
}
