// Broadcast fan-out at team scale: the real server (`node server/main.ts` as a child process,
// default settings: MESH_BROADCAST_CONCURRENCY unset = all recipients at once) over HTTP, to N
// fake gateways in this process, each answering 500 ms after chat.send.
//
// For each N: a broadcast is created and confirmed with `wait: true`; fan-out = confirm request
// sent → answer with every recipient final. Run twice in a row: `cold` (the server has no
// connection to any gateway yet: connect + handshake + device identity per recipient) and `warm`
// (pooled connections). Server CPU = utime+stime of the child from /proc/<pid>/stat around the
// confirm request, per recipient.
//
// Baseline, in the same run against the same gateways: a direct client (the server's own gateway
// connector on the official @openclaw/gateway-client, memory credentials, no HTTP/DB/audit) sending
// the same chat.send to every gateway at once and waiting for every reply; `slowest` = the time
// until its last reply. The physical limit is one reply time (500 ms).
//
// Targets (issue 9): fan-out ≤ 1.1 × 500 ms (0.55 s) up to 500 recipients, ≤ 1.5 × 500 ms at 2000;
// server CPU ≤ 0.5 ms per recipient, linear in N.
// Usage: node --expose-gc bench/broadcast.ts [N ...]   (default 100 500 2000)
import { createGatewayConnector, createMemoryCredentialStore } from "../server/gateway/index.ts";
import { startFakeGateway, type FakeGateway } from "../test/support/fake-gateway.ts";
import { startTestServer } from "../test/support/server.ts";
import { pct, procCpuMs, report, round, serverEnv, sleep } from "./lib.ts";

const REPLY_MS = 500;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const B = "broadcast";

async function direct(gateways: FakeGateway[]): Promise<{ cold: number; warm: number; coldP50: number }> {
  const tokens: Record<number, string> = {};
  gateways.forEach((_, i) => (tokens[i + 1] = `tok-${i}`));
  const connector = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: tokens }) });
  const once = async () => {
    const t0 = performance.now();
    const each: number[] = [];
    const results = await Promise.all(
      gateways.map(async (g, i) => {
        const r = await connector.send({ teammateId: i + 1, url: g.url }, { sessionKey: "main", message: "bench: status?", timeoutMs: 120_000 });
        each.push(performance.now() - t0);
        return r;
      }),
    );
    const bad = results.filter((r) => r.outcome !== "replied");
    if (bad.length) throw new Error(`direct: ${bad.length} not replied: ${JSON.stringify(bad[0])}`);
    return { slowest: performance.now() - t0, p50: pct(each, 50) };
  };
  const cold = await once();
  const warm = await once();
  await connector.close();
  return { cold: cold.slowest, warm: warm.slowest, coldP50: cold.p50 };
}

for (const n of sizes.length ? sizes : [100, 500, 2000]) {
  const gateways: FakeGateway[] = [];
  for (let i = 0; i < n; i++) gateways.push(await startFakeGateway({ token: `tok-${i}`, replyDelayMs: REPLY_MS }));
  const base = await direct(gateways);

  const srv = await startTestServer({ child: true, env: serverEnv() });
  const pid = srv.child!.pid!;
  const key = await srv.adminKey();
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      gateways.slice(i, i + 50).map((g, j) => srv.addTeammate({ handle: `agent-${i + j}`, name: `Agent ${i + j}`, gatewayUrl: g.url, token: `tok-${i + j}` })),
    );
  }
  await sleep(1000);
  for (const phase of ["cold", "warm"] as const) {
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "bench: status?", timeoutSec: 120 }, { key });
    if (created.status !== 201 && created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
    const cpu0 = procCpuMs(pid);
    const us0 = process.hrtime.bigint() / 1000n;
    const t0 = performance.now();
    const done = await srv.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken, wait: true }, { key });
    const fanoutMs = performance.now() - t0;
    const cpuMs = procCpuMs(pid) - cpu0;
    // CLOCK_MONOTONIC µs, the clock of V8 profiles: `node bench/profile-top.ts <file> <from> <to>`
    if (process.env.BENCH_SERVER_CPU_PROF) console.error(`profile window ${n} ${phase}: ${us0} ${process.hrtime.bigint() / 1000n}`);
    const recipients = (done.body.recipients ?? []) as { status: string }[];
    const replied = recipients.filter((r) => r.status === "replied").length;
    if (replied !== n) throw new Error(`${phase} ${n}: only ${replied} of ${n} replied: ${done.text.slice(0, 500)}`);
    const factor = n <= 500 ? 1.1 : 1.5;
    const baseline = phase === "cold" ? base.cold : base.warm;
    report({
      bench: B,
      figure: `broadcast to ${n}, ${phase} connections, fan-out (500 ms replies)`,
      value: Math.round(fanoutMs),
      unit: "ms",
      target: `<= ${factor} x ${REPLY_MS} ms = ${factor * REPLY_MS} ms`,
      pass: fanoutMs <= factor * REPLY_MS,
      baseline: Math.round(baseline),
      baselineNote: "direct client, same gateways, all at once: time to the slowest reply",
      ratioToReply: round(fanoutMs / REPLY_MS, 2),
      ratioToBaseline: round(fanoutMs / baseline, 2),
      recipients: n,
    });
    report({
      bench: B,
      figure: `server CPU per recipient, broadcast to ${n}, ${phase}`,
      value: round(cpuMs / n, 3),
      unit: "ms/recipient",
      target: "<= 0.5 ms/recipient, linear",
      pass: cpuMs / n <= 0.5,
      serverCpuMs: Math.round(cpuMs),
      recipients: n,
    });
    await sleep(500);
  }
  await srv.stop();
  await Promise.all(gateways.map((g) => g.stop()));
}
