// Broadcast fan-out through the real HTTP server to N in-process fake gateways.
// Measures: time from confirm to the last recipient's final status, server RSS before/after,
// and sequential single-send latency. Usage: node bench/broadcast.ts [N ...]  (default 100 500)
import { startFakeGateway, type FakeGateway } from "../test/support/fake-gateway.ts";
import { startTestServer } from "../test/support/server.ts";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const mb = (b: number) => Math.round(b / 1048576);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

for (const n of sizes.length ? sizes : [100, 500]) {
  const gateways: FakeGateway[] = [];
  for (let i = 0; i < n; i++) gateways.push(await startFakeGateway({ token: `tok-${i}`, replyDelayMs: 50 }));
  const srv = await startTestServer({ env: { MESH_BROADCAST_CONCURRENCY: "32", MESH_LOG_LEVEL: "warn" } });
  const key = await srv.adminKey();
  for (let i = 0; i < n; i++) {
    await srv.addTeammate({ handle: `agent-${i}`, name: `Agent ${i}`, gatewayUrl: gateways[i]!.url, token: `tok-${i}` });
  }
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const created = await srv.api("POST", "/api/v1/broadcasts", { message: "bench: status?", timeoutSec: 120 }, { key });
  const t0 = performance.now();
  const done = await srv.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken, wait: true }, { key });
  const fanoutMs = performance.now() - t0;
  const replied = done.body.recipients.filter((r: { status: string }) => r.status === "replied").length;
  const rssAfter = process.memoryUsage().rss;

  // Sequential sends to one agent: the per-message overhead of audit + vault + pooled connection.
  const lat: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const r = await srv.api("POST", "/api/v1/messages", { to: "agent-0", message: `ping ${i}` }, { key });
    if (r.body.status !== "replied") throw new Error(`send ${i}: ${r.text}`);
    lat.push(performance.now() - s);
  }
  console.log(
    JSON.stringify({
      bench: "broadcast",
      recipients: n,
      replied,
      concurrency: 32,
      gatewayRunMs: 50,
      fanoutMs: Math.round(fanoutMs),
      rssBeforeMb: mb(rssBefore),
      rssAfterMb: mb(rssAfter),
      sendP50Ms: +pct(lat, 50).toFixed(1),
      sendP95Ms: +pct(lat, 95).toFixed(1),
    }),
  );
  if (replied !== n) throw new Error(`only ${replied} of ${n} recipients replied`);
  await srv.stop();
  await Promise.all(gateways.map((g) => g.stop()));
}
