// Idle RSS of the real server: `node server/main.ts` as a child process with a fresh temp
// MESH_DATA_DIR (migrations, vault key, admin user), left idle; VmRSS from /proc/<pid>/status
// 10 s after it logged "listening" (and the peak VmHWM). Then once more after one API request
// (sign-in, a list of teammates) and another 10 s.
// Target (issue 9): idle RSS ≤ 150 MB.
// Usage: node --expose-gc bench/idle-rss.ts [waitSeconds]   (default 10)
import { readFileSync } from "node:fs";
import { startTestServer } from "../test/support/server.ts";
import { mb, procRss, report, sleep } from "./lib.ts";

const waitS = Number(process.argv[2] ?? 10);
const B = "idle-rss";
const hwm = (pid: number) => Number(/^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) * 1024;
const srv = await startTestServer({ child: true });
try {
  const pid = srv.child!.pid!;
  await sleep(waitS * 1000);
  const rss = procRss(pid);
  report({ bench: B, figure: `idle RSS ${waitS} s after start`, value: mb(rss), unit: "MB", target: "<= 150 MB", pass: rss <= 150 * 1048576, peakMb: mb(hwm(pid)) });
  const key = await srv.adminKey();
  const r = await srv.api("GET", "/api/v1/teammates", undefined, { key });
  if (r.status !== 200) throw new Error(`teammates: ${r.status}`);
  await sleep(waitS * 1000);
  const rss2 = procRss(pid);
  report({ bench: B, figure: `idle RSS after sign-in + one API request, ${waitS} s later`, value: mb(rss2), unit: "MB", target: "<= 150 MB", pass: rss2 <= 150 * 1048576, peakMb: mb(hwm(pid)) });
} finally {
  await srv.stop();
}
