// Summarises a V8 .cpuprofile (from BENCH_SERVER_CPU_PROF, see lib.ts): self time by function
// and by file/package, top 25 each, optionally only the samples between two CLOCK_MONOTONIC µs
// instants (broadcast.ts prints them per fan-out). Usage: node bench/profile-top.ts <file.cpuprofile> [fromUs toUs]
import { readFileSync } from "node:fs";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
const prof = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
const from = Number(process.argv[3] ?? -Infinity);
const to = Number(process.argv[4] ?? Infinity);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
let at = prof.startTime;
prof.samples.forEach((id, i) => {
  at += prof.timeDeltas[i] ?? 0;
  if (at >= from && at <= to) self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const file = new Map<string, number>();
for (const [id, ms] of self) {
  const n = byId.get(id)!;
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|server|test|shared)\//, "$1/");
  const name = `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
  fn.set(name, (fn.get(name) ?? 0) + ms);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url || n.callFrame.functionName);
  file.set(pkg, (file.get(pkg) ?? 0) + ms);
}
const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`).join("\n");
console.log(`total ${total.toFixed(0)} ms\n\n-- self time by function --\n${top(fn)}\n\n-- self time by package / file --\n${top(file)}`);
