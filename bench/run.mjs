// `npm run bench`: runs every benchmark in bench/ and appends each JSON line it prints (one per
// measurement: figure, target, pass, baseline) to bench/results.ndjson with the machine and the
// exact command, so RESULTS.md can cite measured figures. Targets live in the benchmarks, not in
// timed tests; this exits 1 if a benchmark failed to run or a figure missed its target.
//
//   npm run bench                         all benchmarks, audit at 100k entries
//   npm run bench -- --scale              audit at 1M entries (several minutes)
//   npm run bench -- --only=wire,idle-rss only those (file names without .ts)
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import os from "node:os";

const args = process.argv.slice(2);
const scale = args.includes("--scale") || process.env.MESH_BENCH_SCALE === "1";
const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const benches = [
  ["broadcast", ["100", "500", "2000"]],
  ["sends", []],
  ["audit", [scale ? "1000000" : "100000"]],
  ["startup-scan", []],
  ["wire", []],
  ["idle-rss", []],
].filter(([name]) => !only || only.includes(name));

let memTotal = os.totalmem();
try {
  memTotal = Number(/MemTotal:\s*(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))[1]) * 1024;
} catch {
  /* not Linux */
}
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${(memTotal / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`;
console.log(`machine: ${machine}`);
const run = new Date().toISOString();
let failed = false;
for (const [name, extra] of benches) {
  const cmd = ["--expose-gc", `bench/${name}.ts`, ...extra];
  console.log(`$ node ${cmd.join(" ")}`);
  const r = spawnSync(process.execPath, cmd, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 2 ** 20 });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    console.error(`bench/${name}.ts exited with ${r.status ?? r.signal}`);
    failed = true;
  }
  const at = new Date().toISOString();
  for (const line of r.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const m = JSON.parse(line);
    if (m.pass === false) failed = true;
    appendFileSync("bench/results.ndjson", JSON.stringify({ run, at, machine, command: `node ${cmd.join(" ")}`, ...m }) + "\n");
  }
}
process.exit(failed ? 1 : 0);
