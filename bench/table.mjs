// Markdown tables from bench/results.ndjson for RESULTS.md: one table per bench, one row per
// figure, one column per run, per bench and command (runs = `npm run bench` invocations, newest last).
//   node bench/table.mjs [--since=2026-12-02T16:00] [--bench=audit]
import { readFileSync } from "node:fs";

const arg = (k) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const since = arg("since") ?? "";
const only = arg("bench");
const recs = readFileSync("bench/results.ndjson", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
  .map((r) => ({ ...r, run: r.run ?? r.at }))
  .filter((r) => r.at >= since && (!only || r.bench === only));
const fmt = (v) => (typeof v === "number" ? v.toLocaleString("en-US") : v ?? "–");
for (const group of [...new Set(recs.map((r) => `${r.bench}\t${r.command}`))]) {
  const [bench] = group.split("\t");
  const rs = recs.filter((r) => `${r.bench}\t${r.command}` === group);
  const runs = [...new Set(rs.map((r) => r.run))];
  const figures = [...new Set(rs.map((r) => r.figure))];
  console.log(`\n### ${bench}\n\nCommand(s): ${[...new Set(rs.map((r) => "`" + r.command + "`"))].join(", ")}\n`);
  console.log(`| figure | target | ${runs.map((_, i) => `run ${i + 1}`).join(" | ")} | baseline (per run) | pass |`);
  console.log(`|---|---|${runs.map(() => "---|").join("")}---|---|`);
  for (const f of figures) {
    const per = runs.map((run) => rs.find((r) => r.run === run && r.figure === f));
    const any = per.find(Boolean);
    const vals = per.map((r) => (r ? `${fmt(r.value)}` : "–"));
    const base = per.some((r) => r?.baseline !== undefined) ? per.map((r) => fmt(r?.baseline)).join(" / ") : "–";
    const pass = per.map((r) => (r ? (r.pass === null ? "n/a" : r.pass ? "pass" : "**FAIL**") : "–")).join(" / ");
    console.log(`| ${f} | ${any.target} (${any.unit}) | ${vals.join(" | ")} | ${base} | ${pass} |`);
  }
}
