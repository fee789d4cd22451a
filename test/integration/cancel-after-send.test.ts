// Cancel after chat.send may have left (issue 8, item 2): an attempt whose chat.send was written
// to the gateway is aborted there by its run id (= the idempotency key we sent) and ends
// `cancelled_after_send`, never a plain `cancelled`; a reply the agent sends anyway is still
// collected. Attempts cancelled before chat.send was written stay `cancelled`. No sleeps: every
// wait is on a condition (what the fake gateways received).
import { startFakeGateway, type FakeGateway, type FakeGatewayFaults } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-cancel-after-send-7c1f";

interface Recipient {
  handle: string;
  status: string;
  runId: string | null;
  reply: string | null;
  attempts: number;
}

describe("cancel after chat.send may have left: broadcasts", () => {
  let srv: TestServer;
  let op: string;
  const gws: FakeGateway[] = [];
  // The first four (in handle order) are in flight when the cancel comes (concurrency 4):
  //   c0 took chat.send and never answered it (the reported case: no run id known yet),
  //   c1 answered chat.send, its run is going,
  //   c2 like c0 but ignores the abort and answers anyway, c3 like c1 and ignores the abort.
  // c4..c7 answer normally; they are still queued when the cancel comes.
  const faults: FakeGatewayFaults[] = [
    { noChatSendAnswer: true, holdRuns: true },
    { holdRuns: true },
    { noChatSendAnswer: true, holdRuns: true, ignoreAbort: true },
    { holdRuns: true, ignoreAbort: true },
    {},
    {},
    {},
    {},
  ];
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: op });
  const sentTotal = () => gws.reduce((n, g) => n + g.sentKeys.length, 0);
  const recipientsOf = async (id: string): Promise<Recipient[]> => (await api("GET", `/api/v1/broadcasts/${id}`)).body.recipients;
  let broadcastId = "";

  beforeAll(async () => {
    for (const f of faults) gws.push(await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}`, faults: f }));
    srv = await startTestServer({ env: { MESH_BROADCAST_CONCURRENCY: "4" } });
    op = await srv.keyFor("operator");
    for (const [i, g] of gws.entries()) await srv.addTeammate({ handle: `c${i}`, name: `Cancel ${i}`, gatewayUrl: g.url, token: TOKEN });
  });
  afterAll(async () => {
    for (const g of gws) g.finishRuns();
    await srv.stop();
    await Promise.all(gws.map((g) => g.stop()));
  });

  it("cancelled right after confirm: every recipient whose gateway got chat.send ends cancelled_after_send with its run id and the gateway got chat.abort for it; the rest end cancelled", async () => {
    const created = await api("POST", "/api/v1/broadcasts", { message: "status report please", timeoutSec: 60 });
    expect(created.status).toBe(201);
    broadcastId = created.body.id;
    const confirmed = await api("POST", `/api/v1/broadcasts/${broadcastId}/confirm`, { token: created.body.confirmationToken });
    expect(confirmed.status).toBe(202);
    // every worker has written its chat.send and the gateway took it
    await until(sentTotal, (n) => n === 4, 20_000);
    const c = await api("POST", `/api/v1/broadcasts/${broadcastId}/cancel`);
    expect(c.status).toBe(200);
    const done = await until(
      () => api("GET", `/api/v1/broadcasts/${broadcastId}`),
      (r) => r.body.state === "cancelled",
      20_000,
    );
    const byHandle = new Map<string, Recipient>(done.body.recipients.map((r: Recipient) => [r.handle, r]));
    let afterSend = 0;
    for (const [i, g] of gws.entries()) {
      const r = byHandle.get(`c${i}`)!;
      if (g.sentKeys.length > 0) {
        afterSend++;
        const key = g.sentKeys[0]!;
        expect(key).toBe(`${broadcastId}-c${i}-1`);
        expect(r.status).toBe("cancelled_after_send");
        expect(r.runId).toBe(key);
        await until(() => g.aborts, (a) => a.some((x) => x.runId === key), 10_000);
      } else {
        expect(r.status).toBe("cancelled");
        expect(r.runId).toBeNull();
        expect(g.aborts).toEqual([]);
      }
    }
    expect(afterSend).toBe(4);
    expect([...byHandle.values()].filter((r) => r.status === "cancelled").length).toBe(4);
    const trail = (await api("GET", `/api/v1/audit?broadcastId=${broadcastId}&kind=send`)).body.items as { teammate: string; outcome: string; runId: string | null }[];
    expect(trail.filter((e) => e.outcome === "cancelled_after_send").map((e) => e.teammate).sort()).toEqual(["c0", "c1", "c2", "c3"]);
    expect(trail.filter((e) => e.outcome === "pending" || e.outcome === "cancelled")).toEqual([]);
  });

  it("a gateway that ignores the abort and answers anyway: the late reply is still collected on the recipient", async () => {
    expect(broadcastId).not.toBe("");
    // c2 and c3 ignored the abort; their agents now finish and answer
    await until(() => gws[2]!.aborts.length + gws[3]!.aborts.length, (n) => n >= 2, 10_000);
    for (const g of gws) g.finishRuns();
    const rs = await until(
      () => recipientsOf(broadcastId),
      (list) => list.filter((r) => r.reply !== null).length === 2,
      15_000,
    );
    const byHandle = new Map(rs.map((r) => [r.handle, r]));
    for (const h of ["c2", "c3"]) {
      expect(byHandle.get(h)).toMatchObject({ status: "cancelled_after_send", reply: "ack status report please" });
    }
    // the aborted ones stay without a reply
    for (const h of ["c0", "c1"]) expect(byHandle.get(h)).toMatchObject({ status: "cancelled_after_send", reply: null });
    const late = (await api("GET", `/api/v1/audit?broadcastId=${broadcastId}&kind=late_reply`)).body.items as { teammate: string; outcome: string }[];
    expect(late.filter((e) => e.outcome === "replied").map((e) => e.teammate).sort()).toEqual(["c2", "c3"]);
  });

  it("a retry never sends cancelled_after_send recipients again", async () => {
    expect(broadcastId).not.toBe("");
    const before = gws.map((g) => g.sentKeys.length);
    const refused = await api("POST", `/api/v1/broadcasts/${broadcastId}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("BROADCAST_CANCELLED");
    // Even were the broadcast completed (as after a restart), only failed recipients go again:
    // make it so in the database, with one never-sent recipient marked timed out.
    const sql = srv.running!.services.db.$client;
    sql.prepare("update broadcasts set state = 'completed' where id = ?").run(broadcastId);
    sql.prepare("update broadcast_recipients set status = 'timeout' where broadcast_id = ? and handle = 'c4'").run(broadcastId);
    const retried = await api("POST", `/api/v1/broadcasts/${broadcastId}/retry?wait=true`);
    expect(retried.status).toBe(200);
    const rs = new Map<string, Recipient>(retried.body.recipients.map((r: Recipient) => [r.handle, r]));
    expect(rs.get("c4")).toMatchObject({ status: "replied", attempts: 1 });
    for (const h of ["c0", "c1", "c2", "c3"]) expect(rs.get(h)).toMatchObject({ status: "cancelled_after_send", attempts: 1 });
    expect(gws.map((g) => g.sentKeys.length)).toEqual(before.map((n, i) => (i === 4 ? n + 1 : n)));
  });
});

describe("cancel after chat.send may have left: single sends", () => {
  let srv: TestServer;
  let op: string;
  let silent: FakeGateway; // takes chat.send, never answers it, run held
  let ignoring: FakeGateway; // answers chat.send, ignores the abort, answers when released
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: op });
  const start = async (to: string, session: string, message: string) => {
    const r = await api("POST", "/api/v1/messages", { to, message, session, timeoutSec: 60, wait: false });
    expect(r.status).toBe(202);
    return r.body.id as string;
  };

  beforeAll(async () => {
    silent = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}`, faults: { noChatSendAnswer: true, holdRuns: true } });
    ignoring = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}`, faults: { holdRuns: true, ignoreAbort: true } });
    srv = await startTestServer();
    op = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "sil", name: "Silent", gatewayUrl: silent.url, token: TOKEN });
    await srv.addTeammate({ handle: "ign", name: "Ignores Abort", gatewayUrl: ignoring.url, token: TOKEN });
  });
  afterAll(async () => {
    silent.finishRuns();
    ignoring.finishRuns();
    await srv.stop();
    await Promise.all([silent.stop(), ignoring.stop()]);
  });

  it("chat.send written but not answered: cancelled_after_send with the key as run id, and chat.abort sent for it", async () => {
    const id = await start("sil", "s1", "are you there");
    await until(() => silent.sentKeys.length, (n) => n === 1, 10_000);
    const c = await api("POST", `/api/v1/messages/${id}/cancel`);
    expect(c.status).toBe(200);
    const m = await until(() => api("GET", `/api/v1/messages/${id}`), (r) => r.body.completedAt !== null, 10_000);
    expect(m.body.status).toBe("cancelled_after_send");
    expect(m.body.exchanges[0]).toMatchObject({ status: "cancelled_after_send", runId: `${id}-1`, error: { code: "CANCELLED" } });
    await until(() => silent.aborts, (a) => a.some((x) => x.runId === `${id}-1`), 10_000);
    const trail = (await api("GET", `/api/v1/audit?messageId=${id}&kind=send`)).body.items as { outcome: string; runId: string | null; details: { action?: string } | null }[];
    const attempt = trail.find((e) => e.details?.action === undefined);
    expect(attempt).toMatchObject({ outcome: "cancelled_after_send", runId: `${id}-1` });
  });

  it("a send still waiting behind another on the same session was never sent: plain cancelled, no run id, no abort", async () => {
    const first = await start("sil", "s2", "first in line");
    await until(() => silent.sentKeys.length, (n) => n === 2, 10_000);
    const second = await start("sil", "s2", "second in line");
    await until(() => api("GET", `/api/v1/messages/${second}`), (r) => r.body.status === "sending", 10_000);
    const c = await api("POST", `/api/v1/messages/${second}/cancel`);
    expect(c.status).toBe(200);
    const m = await until(() => api("GET", `/api/v1/messages/${second}`), (r) => r.body.completedAt !== null, 10_000);
    expect(m.body.status).toBe("cancelled");
    expect(m.body.exchanges[0]).toMatchObject({ status: "cancelled", runId: null });
    await api("POST", `/api/v1/messages/${first}/cancel`);
    await until(() => api("GET", `/api/v1/messages/${first}`), (r) => r.body.completedAt !== null, 10_000);
    expect(silent.sentKeys).not.toContain(`${second}-1`);
    expect(silent.aborts.map((a) => a.runId)).not.toContain(`${second}-1`);
  });

  it("a gateway that ignores the abort and answers anyway: the late reply is still collected and shown on the message", async () => {
    const id = await start("ign", "s3", "tell me later");
    await until(() => api("GET", `/api/v1/messages/${id}`), (r) => r.body.exchanges[0]?.runId === `${id}-1`, 10_000);
    const c = await api("POST", `/api/v1/messages/${id}/cancel`);
    expect(c.status).toBe(200);
    await until(() => ignoring.aborts, (a) => a.some((x) => x.runId === `${id}-1`), 10_000);
    ignoring.finishRuns();
    const m = await until(() => api("GET", `/api/v1/messages/${id}`), (r) => r.body.exchanges[0]?.reply !== null, 15_000);
    expect(m.body.status).toBe("cancelled_after_send");
    expect(m.body.exchanges[0]).toMatchObject({ status: "cancelled_after_send", reply: "re: tell me later", runId: `${id}-1` });
    const late = (await api("GET", `/api/v1/audit?messageId=${id}&kind=late_reply`)).body.items as { outcome: string; reply: string | null }[];
    expect(late).toEqual([expect.objectContaining({ outcome: "replied", reply: "re: tell me later" })]);
  });
});
