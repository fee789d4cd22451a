// POST /messages and friends on the real server (loopback port, SQLite file) against fake gateways.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, startWebhookSink, until, type TestServer, type WebhookSink } from "../support/server.ts";

const TOKEN = "gw-token-never-shown-8c1f2e";

describe("messages", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let hook: WebhookSink;
  let key: string;
  const bodies: string[] = [];
  const send = async (body: Record<string, unknown>, opts: { key?: string; headers?: Record<string, string> } = {}) => {
    const res = await srv.api("POST", "/api/v1/messages", body, { key: opts.key ?? key, headers: opts.headers });
    bodies.push(res.text);
    return res;
  };

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    hook = await startWebhookSink();
    srv = await startTestServer({
      env: { MESH_FALLBACK_WEBHOOK_URL: hook.url, MESH_EMAIL_DOMAIN: "example.com" },
    });
    key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "bobby", name: "Bobby Tables", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "carol", name: "Carol Nowhere", gatewayUrl: null });
    await srv.addTeammate({ handle: "dave", name: "Dave Tokenless", gatewayUrl: gw.url });
    await srv.addTeammate({ handle: "erin", name: "Erin Offline", gatewayUrl: "ws://127.0.0.1:9", token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
    await hook.stop();
  });
  beforeEach(() => {
    gw.received.length = 0;
    hook.received.length = 0;
  });

  it("sends one round and returns the Message with the reply", async () => {
    const res = await send({ to: "bob", message: "hello there" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "replied", to: { handle: "bob", name: "Bob Builder" }, session: "main", rounds: 1, warnings: [], fallback: null });
    expect(res.body.exchanges).toHaveLength(1);
    expect(res.body.exchanges[0]).toMatchObject({ round: 1, message: "hello there", messageBytes: 11, status: "replied", reply: "re: hello there" });
    expect(gw.received).toEqual(["hello there"]);
    const got = await srv.api("GET", `/api/v1/messages/${res.body.id}`, undefined, { key });
    expect(got.body).toEqual(res.body);
    const list = await srv.api("GET", "/api/v1/messages?limit=5", undefined, { key });
    expect(list.body.items[0].id).toBe(res.body.id);
  });

  it("chains rounds: each reply becomes the next round's message", async () => {
    const res = await send({ to: "bob", message: "ping", rounds: 3 });
    expect(res.status).toBe(200);
    expect(gw.received).toEqual(["ping", "re: ping", "re: re: ping"]);
    expect(res.body.exchanges.map((e: { status: string }) => e.status)).toEqual(["replied", "replied", "replied"]);
    expect(res.body.exchanges[2].reply).toBe("re: re: re: ping");
  });

  it("stops the rounds early when a round gets no reply", async () => {
    const res = await send({ to: "bob", message: "slow [[delay:3000]]", rounds: 3, timeoutSec: 1, fallback: false });
    expect(res.body.status).toBe("timeout");
    expect(res.body.exchanges).toHaveLength(1);
    expect(gw.received).toHaveLength(1);
  });

  it("a reply above the hard limit ends the rounds: the next round is not sent and its exchange says why", async () => {
    const huge = "€".repeat(3000); // 9000 bytes: above the 8192-byte hard limit
    const loud = await startFakeGateway({ token: TOKEN, reply: (m) => (m.startsWith("tell me everything") ? huge : `re: ${m}`) });
    try {
      await srv.addTeammate({ handle: "loud", name: "Loud Larry", gatewayUrl: loud.url, token: TOKEN });
      const res = await send({ to: "loud", message: "tell me everything", rounds: 3, fallback: false });
      expect(res.status).toBe(200);
      // only round 1 went out; the oversized reply was kept, not passed on
      expect(loud.received).toEqual(["tell me everything"]);
      expect(res.body.status).toBe("error");
      expect(res.body.completedAt).not.toBeNull();
      expect(res.body.exchanges).toHaveLength(2);
      expect(res.body.exchanges[0]).toMatchObject({ round: 1, status: "replied", reply: huge, error: null });
      expect(res.body.exchanges[1]).toMatchObject({
        round: 2,
        status: "error",
        messageBytes: 9000,
        reply: null,
        runId: null,
        auditId: null,
        error: { code: "MESSAGE_TOO_LARGE", message: "round 2: 9000 bytes is above the 8192-byte limit" },
      });
      // nothing was sent for round 2, so the audit trail has exactly the one send
      const audit = await srv.api("GET", `/api/v1/audit?messageId=${res.body.id}`, undefined, { key });
      expect(audit.body.items.map((e: { kind: string; outcome: string }) => `${e.kind}:${e.outcome}`)).toEqual(["send:replied"]);
      // the stored message is the same as the answer
      expect((await srv.api("GET", `/api/v1/messages/${res.body.id}`, undefined, { key })).body).toEqual(res.body);
    } finally {
      await srv.api("DELETE", "/api/v1/teammates/loud", undefined, { key: await srv.adminKey() });
      await loud.stop();
    }
  });

  it("a reply exactly at the hard limit is passed on to the next round", async () => {
    const atLimit = "a".repeat(8192);
    const loud = await startFakeGateway({ token: TOKEN, reply: (m) => (m === "fill it up" ? atLimit : "ok") });
    try {
      await srv.addTeammate({ handle: "loud", name: "Loud Larry", gatewayUrl: loud.url, token: TOKEN });
      const res = await send({ to: "loud", message: "fill it up", rounds: 2, fallback: false });
      expect(res.body.status).toBe("replied");
      expect(loud.received).toEqual(["fill it up", atLimit]);
      expect(res.body.exchanges.map((e: { messageBytes: number; status: string }) => `${e.messageBytes}:${e.status}`)).toEqual(["10:replied", "8192:replied"]);
    } finally {
      await srv.api("DELETE", "/api/v1/teammates/loud", undefined, { key: await srv.adminKey() });
      await loud.stop();
    }
  });

  it("resolves names: exact handle, unique part of a name, ambiguity, unknown", async () => {
    expect((await send({ to: "BOB", message: "a", dryRun: true })).body.to.handle).toBe("bob");
    expect((await send({ to: "tables", message: "a", dryRun: true })).body.to.handle).toBe("bobby");
    const amb = await send({ to: "Bo", message: "a" });
    expect(amb.status).toBe(409);
    expect(amb.body.error.code).toBe("AMBIGUOUS_TEAMMATE");
    expect(JSON.stringify(amb.body.error.details)).toContain("bobby");
    const none = await send({ to: "zed", message: "a" });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("TEAMMATE_NOT_FOUND");
    expect(gw.received).toEqual([]);
  });

  it("dry run: preview with URL, size and hash, no credential, nothing sent, no send audit entry", async () => {
    const before = (await srv.api("GET", "/api/v1/messages?limit=500", undefined, { key })).body.items.length;
    const res = await send({ to: "bob", message: "just looking", dryRun: true, rounds: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, gatewayUrl: gw.url, rounds: 2, messageBytes: 12, credentialSet: true, blockers: [], warnings: [] });
    expect(res.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(res.text).not.toContain(TOKEN);
    expect(res.text).not.toContain(TOKEN.slice(0, 8));
    expect(gw.received).toEqual([]);
    expect((await srv.api("GET", "/api/v1/messages?limit=500", undefined, { key })).body.items.length).toBe(before);
    const blocked = await send({ to: "carol", message: "x", dryRun: true });
    expect(blocked.body.blockers.map((b: { code: string }) => b.code)).toEqual(["NO_ADDRESS", "NO_CREDENTIALS"]);
  });

  it("4 KB warns and 8 KB blocks, counted in UTF-8 bytes not characters", async () => {
    const warn = "€".repeat(1366); // 1366 chars, 4098 bytes
    const res = await send({ to: "bob", message: warn });
    expect(res.status).toBe(200);
    expect(res.body.warnings.map((w: { code: string }) => w.code)).toEqual(["MESSAGE_LARGE"]);
    expect(res.body.exchanges[0].messageBytes).toBe(4098);
    const exact = await send({ to: "bob", message: "a".repeat(8192), dryRun: true });
    expect(exact.status).toBe(200);
    gw.received.length = 0;
    const before = (await srv.api("GET", "/api/v1/messages?limit=500", undefined, { key })).body.items.length;
    const big = "€".repeat(2731); // 2731 chars (well under 8192), 8193 bytes
    const refused = await send({ to: "bob", message: big });
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: "MESSAGE_TOO_LARGE", details: { bytes: 8193, limit: 8192 } });
    expect((await send({ to: "bob", message: big, dryRun: true })).status).toBe(413);
    expect(gw.received).toEqual([]);
    expect((await srv.api("GET", "/api/v1/messages?limit=500", undefined, { key })).body.items.length).toBe(before);
  });

  it("no address / no credentials: 409 with the fallback webhook notified", async () => {
    const noAddr = await send({ to: "carol", message: "are you there?" });
    expect(noAddr.status).toBe(409);
    expect(noAddr.body.error.code).toBe("NO_ADDRESS");
    expect(noAddr.body.error.details.fallback).toMatchObject({ attempted: true, ok: true, reason: "no_address", httpStatus: 204 });
    const noCred = await send({ to: "dave", message: "hi dave", fallback: false });
    expect(noCred.status).toBe(409);
    expect(noCred.body.error.code).toBe("NO_CREDENTIALS");
    expect(hook.received).toEqual([{ to: "carol", email: "carol@example.com", message: "are you there?", reason: "no_address" }]);
    expect(gw.received).toEqual([]);
  });

  it("unreachable gateway: status unreachable, fallback result on the Message, audit entries", async () => {
    const res = await send({ to: "erin", message: "wake up", timeoutSec: 5 });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("unreachable");
    expect(res.body.exchanges[0].error.code).toBe("GATEWAY_UNREACHABLE");
    expect(res.body.fallback).toMatchObject({ attempted: true, ok: true, reason: "unreachable" });
    expect(hook.received).toEqual([{ to: "erin", email: "erin@example.com", message: "wake up", reason: "unreachable" }]);
    const audit = await srv.api("GET", `/api/v1/audit?messageId=${res.body.id}`, undefined, { key });
    expect(audit.status).toBe(200);
    const kinds = audit.body.items.map((e: { kind: string; outcome: string }) => `${e.kind}:${e.outcome}`).sort();
    expect(kinds).toEqual(["fallback:ok", "send:unreachable"]);
  });

  it("fallback failures are recorded too", async () => {
    hook.status = 500;
    try {
      const res = await send({ to: "erin", message: "again", timeoutSec: 5 });
      expect(res.body.fallback).toMatchObject({ attempted: true, ok: false, httpStatus: 500 });
    } finally {
      hook.status = 204;
    }
  });

  it("every round is audited pending before the send and completed after", async () => {
    const res = await send({ to: "bob", message: "audit me", rounds: 2 });
    const audit = await srv.api("GET", `/api/v1/audit?messageId=${res.body.id}&kind=send`, undefined, { key });
    const entries = audit.body.items.sort((a: { id: number }, b: { id: number }) => a.id - b.id);
    expect(entries).toHaveLength(2);
    expect(entries.map((e: { outcome: string }) => e.outcome)).toEqual(["replied", "replied"]);
    expect(entries[0]).toMatchObject({ teammate: "bob", gatewayUrl: gw.url, session: "main", message: "audit me", reply: "re: audit me" });
    expect(entries[0].completedAt).not.toBeNull();
    expect(res.body.exchanges.map((e: { auditId: number }) => e.auditId)).toEqual(entries.map((e: { id: number }) => e.id));
  });

  it("wait:false answers 202 Accepted and the message completes in the background", async () => {
    const res = await send({ to: "bob", message: "later [[delay:300]]", wait: false });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: "queued", href: `/api/v1/messages/${res.body.id}` });
    const done = await until(
      () => srv.api("GET", res.body.href, undefined, { key }),
      (r) => r.body.status === "replied",
    );
    expect(done.body.exchanges[0].reply).toBe("re: later");
  });

  it("late-reply fetches replies of timed-out rounds and audits them", async () => {
    const res = await send({ to: "bob", message: "think hard [[delay:2000]]", timeoutSec: 1, fallback: false });
    expect(res.body.status).toBe("timeout");
    await new Promise((r) => setTimeout(r, 1_800));
    const late = await until(
      () => srv.api("POST", `/api/v1/messages/${res.body.id}/late-reply`, undefined, { key }),
      (r) => r.body.status === "replied",
      8_000,
      300,
    );
    expect(late.body.exchanges[0].reply).toBe("re: think hard");
    // it stays marked late: its latency is the wait before the timeout, not the reply's
    expect(late.body.exchanges[0]).toMatchObject({ status: "replied", late: true });
    expect(res.body.exchanges[0].late).toBeUndefined();
    const audit = await srv.api("GET", `/api/v1/audit?messageId=${res.body.id}&kind=late_reply`, undefined, { key });
    expect(audit.body.items.some((e: { outcome: string }) => e.outcome === "replied")).toBe(true);
  });

  it("cancel aborts the run in flight", async () => {
    const res = await send({ to: "bob", message: "long one [[delay:10000]]", wait: false, timeoutSec: 30 });
    // the gateway accepted the message (run id known): the cancel comes after chat.send left
    await until(() => srv.api("GET", res.body.href, undefined, { key }), (r) => r.body.exchanges[0]?.runId === `${res.body.id}-1`);
    const cancelled = await srv.api("POST", `/api/v1/messages/${res.body.id}/cancel`, undefined, { key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled_after_send");
    const audit = await srv.api("GET", `/api/v1/audit?messageId=${res.body.id}&kind=send`, undefined, { key });
    const outcomes = audit.body.items.map((e: { outcome: string; details: { action?: string } | null }) => [e.details?.action ?? "attempt", e.outcome]);
    expect(outcomes).toEqual(expect.arrayContaining([["cancelled", "cancelled"], ["attempt", "cancelled_after_send"]]));
  });

  it("unknown message: 404 MESSAGE_NOT_FOUND", async () => {
    const res = await srv.api("GET", "/api/v1/messages/nope", undefined, { key });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("MESSAGE_NOT_FOUND");
  });

  it("permissions: auditors cannot send, requesters can", async () => {
    const denied = await send({ to: "bob", message: "x" }, { key: await srv.keyFor("auditor") });
    expect(denied.status).toBe(403);
    expect(denied.body.error.details.needs).toBe("send");
    const ok = await send({ to: "bob", message: "from a requester" }, { key: await srv.keyFor("requester") });
    expect(ok.status).toBe(200);
    expect(ok.body.actor).toMatchObject({ kind: "api_key", role: "requester" });
  });

  it("the gateway token appears in no response and no log line; message bodies stay out of the log", () => {
    // message text lives in the audit trail (with its own access control), never in the log
    expect(srv.output()).not.toContain("from a requester");
    for (const b of bodies) expect(b).not.toContain(TOKEN);
    expect(srv.output().length).toBeGreaterThan(0);
    expect(srv.output()).not.toContain(TOKEN);
    expect(srv.output()).not.toContain("webhook-secret-xyz");
    for (const b of bodies) expect(b).not.toContain("webhook-secret-xyz");
  });
});
