// Idle RSS of the real server as `npm start` and the Docker image run it: compiled
// (tsconfig.build.json → a temporary build folder inside the repository) and started as
// `node <build>/server/main.js`, a child process with a fresh temp MESH_DATA_DIR (migrations,
// vault key, admin user), left idle; VmRSS from /proc/<pid>/status 10 s after it logged
// "listening" (and the peak VmHWM). Then once more after one API request (sign-in, a list of
// teammates) and another 10 s. Baseline, same run: `node server/main.ts` (the TypeScript sources
// through Node's type stripper, as the tests and `npm run dev` run it).
// Target (issue 9): idle RSS ≤ 150 MB.
// Usage: node --expose-gc bench/idle-rss.ts [waitSeconds]   (default 10)
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, startTestServer } from "../test/support/server.ts";
import { mb, procRss, report, sleep } from "./lib.ts";

const waitS = Number(process.argv[2] ?? 10);
const B = "idle-rss";
const hwm = (pid: number) => Number(/^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) * 1024;

async function measure(entry: string): Promise<{ idle: number; used: number; peakIdle: number; peakUsed: number }> {
  const srv = await startTestServer({ child: true, childEntry: entry });
  try {
    const pid = srv.child!.pid!;
    await sleep(waitS * 1000);
    const idle = procRss(pid);
    const peakIdle = hwm(pid);
    const key = await srv.adminKey();
    const r = await srv.api("GET", "/api/v1/teammates", undefined, { key });
    if (r.status !== 200) throw new Error(`teammates: ${r.status}`);
    await sleep(waitS * 1000);
    return { idle, used: procRss(pid), peakIdle, peakUsed: hwm(pid) };
  } finally {
    await srv.stop();
  }
}

const out = join(REPO_ROOT, "test-results", `bench-build-${process.pid}`);
const tsc = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out], { cwd: REPO_ROOT, encoding: "utf8" });
if (tsc.status !== 0) throw new Error(`server build failed: ${tsc.stdout}${tsc.stderr}`);
try {
  const sources = await measure("server/main.ts");
  const built = await measure(join(out, "server", "main.js"));
  report({ bench: B, figure: `idle RSS ${waitS} s after start`, value: mb(built.idle), unit: "MB", target: "<= 150 MB", pass: built.idle <= 150 * 1048576, baseline: mb(sources.idle), baselineNote: "node server/main.ts (type stripping)", peakMb: mb(built.peakIdle) });
  report({ bench: B, figure: `idle RSS after sign-in + one API request, ${waitS} s later`, value: mb(built.used), unit: "MB", target: "<= 150 MB", pass: built.used <= 150 * 1048576, baseline: mb(sources.used), baselineNote: "node server/main.ts (type stripping)", peakMb: mb(built.peakUsed) });
} finally {
  rmSync(out, { recursive: true, force: true });
}
