// Send throughput: 50 concurrent HTTP clients → the real server (`node server/main.ts` as a child
// process, default settings) → 50 fake gateways in this process answering 50 ms after chat.send.
// Each client has its own keep-alive connection and its own teammate (client i → agent-i).
//
//   wait:true   each client sends one message at a time and waits for the reply (session "main").
//               The gateways bound this shape at 50 clients / 50 ms = 1000 sends/s.
//   wait:false  each client posts back to back (202 at once), every send on its own session, so
//               runs on one gateway overlap; sends/s = N / (first post → every message final,
//               polled read-only from the server's SQLite file).
// Bytes written per send: /proc/<pid>/io write_bytes of the server over the run / N (WAL,
// checkpoints, database file), and the growth of team-mesh.db + -wal / N.
// Baseline, same run, same gateways: a direct client (the server's gateway connector on
// @openclaw/gateway-client, no HTTP/DB/audit) in the same shape (50 loops, one at a time; and
// all sends at once with a session each).
// Target (issue 9): ≥ 1,500 sends/s, ≤ 20 KB written per send. Also reported: the server's RSS
// growth over the runs (memory kept per send).
// Usage: node --expose-gc bench/sends.ts [sendsPerMode]   (default 3000)
import { statSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createGatewayConnector, createMemoryCredentialStore } from "../server/gateway/index.ts";
import { startFakeGateway, type FakeGateway } from "../test/support/fake-gateway.ts";
import { startTestServer } from "../test/support/server.ts";
import { mb, procCpuMs, procRss, procWriteBytes, report, round, serverEnv, sleep } from "./lib.ts";

const N = Number(process.argv[2] ?? 3000);
const CLIENTS = 50;
const REPLY_MS = 50;
const B = "sends";

function post(agent: Agent, url: string, path: string, key: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(url + path, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), authorization: `Bearer ${key}` } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

const gateways: FakeGateway[] = [];
for (let i = 0; i < CLIENTS; i++) gateways.push(await startFakeGateway({ token: `tok-${i}`, replyDelayMs: REPLY_MS }));

// ---- baseline: direct client ----
const tokens: Record<number, string> = {};
gateways.forEach((_, i) => (tokens[i + 1] = `tok-${i}`));
const connector = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: tokens }) });
const target = (i: number) => ({ teammateId: i + 1, url: gateways[i]!.url });
await Promise.all(gateways.map((_, i) => connector.send(target(i), { sessionKey: "main", message: "warm-up", timeoutMs: 30_000 })));
let t0 = performance.now();
await Promise.all(
  gateways.map(async (_, i) => {
    for (let k = i; k < N; k += CLIENTS) {
      const r = await connector.send(target(i), { sessionKey: "main", message: `bench send ${k}`, timeoutMs: 30_000 });
      if (r.outcome !== "replied") throw new Error(`direct: ${JSON.stringify(r)}`);
    }
  }),
);
const baseSeq = N / ((performance.now() - t0) / 1000);
t0 = performance.now();
await Promise.all(
  Array.from({ length: N }, async (_, k) => {
    const r = await connector.send(target(k % CLIENTS), { sessionKey: `s-${k}`, message: `bench send ${k}`, timeoutMs: 60_000 });
    if (r.outcome !== "replied") throw new Error(`direct: ${JSON.stringify(r)}`);
  }),
);
const baseAll = N / ((performance.now() - t0) / 1000);
await connector.close();

// ---- the server ----
const srv = await startTestServer({ child: true, env: serverEnv() });
const pid = srv.child!.pid!;
const key = await srv.adminKey();
await Promise.all(gateways.map((g, i) => srv.addTeammate({ handle: `agent-${i}`, name: `Agent ${i}`, gatewayUrl: g.url, token: `tok-${i}` })));
const agents = gateways.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
// warm-up: one send per teammate (opens the pooled gateway connections)
await Promise.all(gateways.map((_, i) => post(agents[i]!, srv.url, "/api/v1/messages", key, { to: `agent-${i}`, message: "warm-up" })));
const dbFile = join(srv.dataDir, "team-mesh.db");
const fileBytes = () => statSync(dbFile).size + (() => { try { return statSync(`${dbFile}-wal`).size; } catch { return 0; } })();
const reader = new Database(dbFile, { readonly: true, fileMustExist: true });
const unfinished = reader.prepare("select count(*) n from messages where status in ('queued', 'sending')");
const total = reader.prepare("select count(*) n from messages");
await sleep(1000);
const rss0 = procRss(pid);

for (const mode of ["wait:true", "wait:false"] as const) {
  const before = (total.get() as { n: number }).n;
  const w0 = procWriteBytes(pid);
  const f0 = fileBytes();
  const c0 = procCpuMs(pid);
  const us0 = process.hrtime.bigint() / 1000n;
  const s = performance.now();
  await Promise.all(
    gateways.map(async (_, i) => {
      for (let k = i; k < N; k += CLIENTS) {
        const body = mode === "wait:true" ? { to: `agent-${i}`, message: `bench send ${k}` } : { to: `agent-${i}`, message: `bench send ${k}`, session: `s-${k}`, wait: false };
        const r = await post(agents[i]!, srv.url, "/api/v1/messages", key, body);
        if (mode === "wait:true" ? r.status !== 200 || !r.text.includes('"replied"') : r.status !== 202) throw new Error(`${mode} send ${k}: ${r.status} ${r.text.slice(0, 300)}`);
      }
    }),
  );
  if (mode === "wait:false") {
    const deadline = Date.now() + 300_000;
    while ((total.get() as { n: number }).n < before + N || (unfinished.get() as { n: number }).n > 0) {
      if (Date.now() > deadline) throw new Error("wait:false: messages did not finish in 5 min");
      await sleep(20);
    }
  }
  const secs = (performance.now() - s) / 1000;
  const cpuMs = procCpuMs(pid) - c0;
  // CLOCK_MONOTONIC µs, the clock of V8 profiles: `node bench/profile-top.ts <file> <from> <to>`
  if (process.env.BENCH_SERVER_CPU_PROF) console.error(`profile window ${mode}: ${us0} ${process.hrtime.bigint() / 1000n}`);
  await sleep(1500); // let the WAL/checkpoint writes of the run land
  const written = procWriteBytes(pid) - w0;
  const grown = fileBytes() - f0;
  const perSec = N / secs;
  report({
    bench: B,
    figure: `sends/s, ${CLIENTS} clients → ${CLIENTS} gateways (50 ms replies), ${mode}`,
    value: Math.round(perSec),
    unit: "sends/s",
    target: ">= 1500 sends/s",
    pass: perSec >= 1500,
    baseline: Math.round(mode === "wait:true" ? baseSeq : baseAll),
    baselineNote: mode === "wait:true" ? "direct client, 50 loops one at a time (gateway bound: 1000/s)" : "direct client, every send at once, a session each",
    sends: N,
    serverCpuMsPerSend: round(cpuMs / N, 3),
  });
  report({
    bench: B,
    figure: `bytes written per send, ${mode}`,
    value: round(written / N / 1024, 2),
    unit: "KB/send (/proc write_bytes)",
    target: "<= 20 KB/send",
    pass: written / N <= 20 * 1024,
    fileGrowthKbPerSend: round(grown / N / 1024, 2),
    sends: N,
  });
}
// Memory kept per send (a leak shows as growth with N; secretlint's profiler was one): RSS after
// the warm-up and after both runs, with the server idle again.
await sleep(2000);
const rss1 = procRss(pid);
report({ bench: B, figure: `server RSS growth over ${2 * N} sends`, value: mb(rss1 - rss0), unit: "MB", target: "reported", pass: null, rssBeforeMb: mb(rss0), rssAfterMb: mb(rss1), sends: 2 * N });
reader.close();
await srv.stop();
await Promise.all(gateways.map((g) => g.stop()));
