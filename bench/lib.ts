// Shared helpers for the benchmarks in bench/: one JSON line per measurement on stdout
// (bench/run.mjs collects them into bench/results.ndjson with the machine and the command).
import { readFileSync } from "node:fs";

export interface Measurement {
  bench: string;
  figure: string;
  value: number | string | null;
  unit: string;
  /** The goal, as text ("<= 20 ms"). */
  target: string;
  /** null: reported only, no target. */
  pass: boolean | null;
  /** The same figure measured without the product in the way, where one applies. */
  baseline?: number | string | null;
  [extra: string]: unknown;
}

export function report(m: Measurement): void {
  console.log(JSON.stringify(m));
}

/** Nearest-rank percentile. */
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (x: number, digits = 1): number => +x.toFixed(digits);
export const mb = (b: number): number => round(b / 1048576, 1);

/** /proc/<pid>/stat utime + stime in ms (Linux). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** /proc/<pid>/io write_bytes (bytes this process caused to be written to storage). */
export function procWriteBytes(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return Number(/^write_bytes:\s*(\d+)/m.exec(io)?.[1] ?? NaN);
}

/** VmRSS of a process in bytes. */
export function procRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Extra env for a child server: BENCH_SERVER_CPU_PROF=<dir> makes it write a V8 CPU profile
 * there when it stops (node --cpu-prof); summarise with `node bench/profile-top.ts <file>`.
 */
export function serverEnv(): Record<string, string> {
  const dir = process.env.BENCH_SERVER_CPU_PROF;
  // BENCH_SERVER_NODE_OPTIONS: V8/Node flags for the server child only (e.g. a GC setting to compare)
  const flags = [process.env.BENCH_SERVER_NODE_OPTIONS ?? "", dir ? `--cpu-prof --cpu-prof-dir=${dir}` : ""].filter(Boolean).join(" ");
  return flags ? { NODE_OPTIONS: flags } : {};
}
