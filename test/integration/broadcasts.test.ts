// Broadcasts: two steps, confirmation rules, fan-out isolation of bad gateways, cancel, retry.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-broadcast-5d3e";

describe("broadcasts", () => {
  let srv: TestServer;
  let healthy: FakeGateway[];
  let hanging: FakeGateway;
  let garbage: FakeGateway;
  let operator: string;
  let requester: string;
  const bodies: string[] = [];
  const api = async (method: string, path: string, body?: unknown, key = operator) => {
    const res = await srv.api(method, path, body, { key });
    bodies.push(res.text);
    return res;
  };
  const received = () => Object.fromEntries(healthy.map((g, i) => [`h${i}`, [...g.received]]));

  beforeAll(async () => {
    healthy = await Promise.all([0, 1, 2].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
    hanging = await startFakeGateway({ token: TOKEN, faults: { noChallenge: true } });
    garbage = await startFakeGateway({ token: TOKEN, faults: { garbage: "requests" } });
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "me@example.com", MESH_BROADCAST_CONCURRENCY: "3" } });
    operator = await srv.keyFor("operator");
    requester = await srv.keyFor("requester");
    await srv.addTeammate({ handle: "me", name: "Myself", gatewayUrl: healthy[0]!.url, token: TOKEN });
    for (const [i, g] of healthy.entries()) await srv.addTeammate({ handle: `h${i}`, name: `Healthy ${i}`, gatewayUrl: g.url, token: TOKEN });
    await srv.addTeammate({ handle: "nowhere", name: "No Address", gatewayUrl: null });
    await srv.addTeammate({ handle: "nokey", name: "No Key", gatewayUrl: healthy[1]!.url });
  });
  afterAll(async () => {
    await srv.stop();
    await Promise.all([...healthy, hanging, garbage].map((g) => g.stop()));
  });
  beforeEach(() => {
    for (const g of [...healthy, hanging, garbage]) g.received.length = 0;
  });

  const create = async (message: string, extra: Record<string, unknown> = {}, key = operator) => {
    const res = await api("POST", "/api/v1/broadcasts", { message, timeoutSec: 3, ...extra }, key);
    expect(res.status).toBe(201);
    return res.body;
  };
  const settle = (id: string) =>
    until(
      () => api("GET", `/api/v1/broadcasts/${id}`),
      (r) => r.body.state === "completed" || r.body.state === "cancelled",
      20_000,
      100,
    ).then((r) => r.body);

  it("dry run shows recipients and skipped teammates, stores nothing, shows no token", async () => {
    const res = await api("POST", "/api/v1/broadcasts", { message: "preview only", dryRun: true });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(res.body.recipients.map((r: { handle: string }) => r.handle)).toEqual(["h0", "h1", "h2"]);
    expect(Object.fromEntries(res.body.skipped.map((s: { handle: string; reason: string }) => [s.handle, s.reason]))).toEqual({
      me: "self",
      nowhere: "no_address",
      nokey: "no_credentials",
    });
    expect(res.text).not.toContain("confirmationToken");
    expect((await api("GET", "/api/v1/broadcasts")).body.items).toHaveLength(0);
  });

  it("requesters create but cannot confirm; they never see the token", async () => {
    const b = await create("from a requester", {}, requester);
    expect(b.state).toBe("awaiting_confirmation");
    expect(b.confirmationToken).toBeNull();
    const seen = await api("GET", `/api/v1/broadcasts/${b.id}`, undefined, requester);
    expect(seen.body.confirmationToken).toBeNull();
    const denied = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: "whatever" }, requester);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    const token = (await api("GET", `/api/v1/broadcasts/${b.id}`)).body.confirmationToken;
    expect(token).toEqual(expect.any(String));
    expect(Object.values(received()).flat()).toEqual([]);
    await api("POST", `/api/v1/broadcasts/${b.id}/cancel`);
  });

  it("confirm sends to exactly the listed recipients; wrong token and second confirm are refused", async () => {
    const b = await create("release is out");
    expect(b.message).toBe("release is out");
    expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    const wrong = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: `${b.confirmationToken}x` });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe("CONFIRMATION_TOKEN_INVALID");
    const ok = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
    expect(ok.status).toBe(202);
    expect(ok.body.confirmationToken).toBeNull();
    const done = await settle(b.id);
    expect(done.state).toBe("completed");
    expect(done.recipients.map((r: { handle: string; status: string }) => `${r.handle}:${r.status}`)).toEqual(["h0:replied", "h1:replied", "h2:replied"]);
    expect(done.counts).toEqual({ replied: 3 });
    expect(done.confirmedBy).toMatchObject({ kind: "api_key", role: "operator" });
    expect(received()).toEqual({ h0: ["release is out"], h1: ["release is out"], h2: ["release is out"] });
    const second = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("BROADCAST_ALREADY_CONFIRMED");
    const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("NOTHING_TO_RETRY");
    // one pending-then-final audit entry per recipient, tagged with the broadcast
    const audit = await api("GET", `/api/v1/audit?broadcastId=${b.id}&kind=send`);
    expect(audit.body.items.map((e: { teammate: string; outcome: string }) => `${e.teammate}:${e.outcome}`).sort()).toEqual(["h0:replied", "h1:replied", "h2:replied"]);
  });

  it("two concurrent confirms send once", async () => {
    const b = await create("exactly once");
    const results = await Promise.all([0, 1, 2].map(() => api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken })));
    expect(results.map((r) => r.status).sort()).toEqual([202, 409, 409]);
    await settle(b.id);
    expect(received()).toEqual({ h0: ["exactly once"], h1: ["exactly once"], h2: ["exactly once"] });
  });

  it("cancel before confirm: cancelled, nothing sent, confirm refused", async () => {
    const b = await create("never mind");
    const c = await api("POST", `/api/v1/broadcasts/${b.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.state).toBe("cancelled");
    expect(c.body.recipients.every((r: { status: string }) => r.status === "cancelled")).toBe(true);
    const confirm = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
    expect(confirm.status).toBe(409);
    expect(confirm.body.error.code).toBe("BROADCAST_CANCELLED");
    await new Promise((r) => setTimeout(r, 200));
    expect(Object.values(received()).flat()).toEqual([]);
  });

  it("cancel while sending: in-flight runs aborted, every recipient final", async () => {
    const b = await create("slow news [[delay:8000]]", { timeoutSec: 30 });
    await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
    // every gateway has the message: the cancel comes after chat.send left
    await until(() => Object.values(received()).flat().length, (n) => n === 3);
    const c = await api("POST", `/api/v1/broadcasts/${b.id}/cancel`);
    expect(c.status).toBe(200);
    const done = await settle(b.id);
    expect(done.state).toBe("cancelled");
    // chat.send was written for each: never a plain `cancelled` (see cancel-after-send.test.ts)
    for (const r of done.recipients) expect(r.status).toBe("cancelled_after_send");
    const pending = await api("GET", `/api/v1/audit?broadcastId=${b.id}&outcome=pending`);
    expect(pending.body.items).toEqual([]);
  });

  it("one hanging, one refusing and one garbage gateway each fail alone; retry re-sends only to them", async () => {
    await srv.addTeammate({ handle: "x-hang", name: "Hanging", gatewayUrl: hanging.url, token: TOKEN });
    await srv.addTeammate({ handle: "x-refuse", name: "Refusing", gatewayUrl: "ws://127.0.0.1:9", token: TOKEN });
    await srv.addTeammate({ handle: "x-garbage", name: "Garbage", gatewayUrl: garbage.url, token: TOKEN });
    try {
      const b = await create("mixed bag");
      expect(b.recipients).toHaveLength(6);
      await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
      const done = await settle(b.id);
      const by = Object.fromEntries(done.recipients.map((r: { handle: string; status: string }) => [r.handle, r.status]));
      expect(by.h0).toBe("replied");
      expect(by.h1).toBe("replied");
      expect(by.h2).toBe("replied");
      expect(["timeout", "unreachable", "error"]).toContain(by["x-hang"]);
      expect(by["x-refuse"]).toBe("unreachable");
      expect(["error", "timeout"]).toContain(by["x-garbage"]);
      expect(received()).toEqual({ h0: ["mixed bag"], h1: ["mixed bag"], h2: ["mixed bag"] });

      const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry`);
      expect(retry.status).toBe(202);
      const again = await settle(b.id);
      const attempts = Object.fromEntries(again.recipients.map((r: { handle: string; attempts: number }) => [r.handle, r.attempts]));
      expect(attempts).toEqual({ h0: 1, h1: 1, h2: 1, "x-hang": 2, "x-refuse": 2, "x-garbage": 2 });
      expect(received()).toEqual({ h0: ["mixed bag"], h1: ["mixed bag"], h2: ["mixed bag"] });
      for (const r of again.recipients) expect(["replied", "timeout", "unreachable", "error"]).toContain(r.status);
    } finally {
      for (const h of ["x-hang", "x-refuse", "x-garbage"]) await api("DELETE", `/api/v1/teammates/${h}`, undefined, await srv.adminKey());
    }
  });

  it("a teammate edited between create and confirm: its credentials go only to its current address, never to the old or a removed one", async () => {
    const admin = await srv.adminKey();
    const moved = await startFakeGateway({ token: TOKEN, reply: (m) => `moved ${m}` });
    try {
      const b = await create("after the move");
      expect(b.recipients.map((r: { handle: string }) => r.handle)).toEqual(["h0", "h1", "h2"]);
      // h1 moves to another gateway, h2 loses its address
      expect((await api("PATCH", "/api/v1/teammates/h1", { gatewayUrl: moved.url }, admin)).status).toBe(200);
      expect((await api("PATCH", "/api/v1/teammates/h2", { gatewayUrl: null }, admin)).status).toBe(200);
      const ok = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken, wait: true });
      expect(ok.status).toBe(200);
      const by = Object.fromEntries(ok.body.recipients.map((r: { handle: string; status: string; error: { code: string } | null }) => [r.handle, `${r.status}:${r.error?.code ?? ""}`]));
      expect(by).toEqual({ h0: "replied:", h1: "replied:", h2: "error:NO_ADDRESS" });
      expect(received()).toEqual({ h0: ["after the move"], h1: [], h2: [] });
      expect([...moved.received]).toEqual(["after the move"]);
      // the audit entry names the address the message actually went to
      const audit = await api("GET", `/api/v1/audit?broadcastId=${b.id}&kind=send&teammate=h1`);
      expect(audit.body.items.map((e: { gatewayUrl: string }) => e.gatewayUrl)).toEqual([moved.url]);
      // a retry of h2 without an address still sends nothing
      const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry?wait=true`);
      expect(retry.status).toBe(200);
      expect(retry.body.recipients.find((r: { handle: string }) => r.handle === "h2")).toMatchObject({ status: "error", attempts: 0 });
      expect(received()).toEqual({ h0: ["after the move"], h1: [], h2: [] });
    } finally {
      await api("PATCH", "/api/v1/teammates/h1", { gatewayUrl: healthy[1]!.url }, admin);
      await api("PATCH", "/api/v1/teammates/h2", { gatewayUrl: healthy[2]!.url }, admin);
      await moved.stop();
    }
  });

  it("retry after a timeout does not send the message again: the same run is awaited and its late reply recorded", async () => {
    const b = await create("think hard [[delay:2000]]", { timeoutSec: 1 });
    await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken, wait: true });
    const first = await settle(b.id);
    expect(first.recipients.map((r: { status: string }) => r.status)).toEqual(["timeout", "timeout", "timeout"]);
    const runIds = first.recipients.map((r: { runId: string | null }) => r.runId);
    for (const id of runIds) expect(id).toEqual(expect.any(String));
    await new Promise((r) => setTimeout(r, 1_500)); // the agents finish (late)
    const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry?wait=true`);
    expect(retry.status).toBe(200);
    expect(retry.body.recipients.map((r: { handle: string; status: string; reply: string; attempts: number; runId: string }) => [r.handle, r.status, r.reply, r.attempts])).toEqual([
      ["h0", "replied", "ack think hard", 2],
      ["h1", "replied", "ack think hard", 2],
      ["h2", "replied", "ack think hard", 2],
    ]);
    expect(retry.body.recipients.map((r: { runId: string }) => r.runId)).toEqual(runIds);
    // each agent got the message exactly once
    expect(received()).toEqual({ h0: ["think hard [[delay:2000]]"], h1: ["think hard [[delay:2000]]"], h2: ["think hard [[delay:2000]]"] });
  });

  it("retry after the connection dropped before chat.send was answered reuses the key: not delivered twice", async () => {
    for (const g of healthy) g.faults.closeBeforeAnswer = true;
    try {
      const b = await create("dropped before the answer");
      await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken, wait: true });
      const first = await settle(b.id);
      expect(first.recipients.map((r: { status: string }) => r.status)).toEqual(["unreachable", "unreachable", "unreachable"]);
      const keys = first.recipients.map((r: { runId: string | null }) => r.runId);
      for (const k of keys) expect(k).toEqual(expect.any(String));
      for (const g of healthy) g.faults.closeBeforeAnswer = false;
      const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry?wait=true`);
      expect(retry.status).toBe(200);
      expect(retry.body.recipients.map((r: { status: string }) => r.status)).toEqual(["replied", "replied", "replied"]);
      expect(retry.body.recipients.map((r: { runId: string }) => r.runId)).toEqual(keys);
      const m = "dropped before the answer";
      expect(received()).toMatchObject({ h0: [m], h1: [m], h2: [m] });
    } finally {
      for (const g of healthy) g.faults.closeBeforeAnswer = false;
    }
  });

  it("retry before confirmation → 409 BROADCAST_NOT_CONFIRMED; unknown id → 404", async () => {
    const b = await create("not yet");
    const r = await api("POST", `/api/v1/broadcasts/${b.id}/retry`);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("BROADCAST_NOT_CONFIRMED");
    await api("POST", `/api/v1/broadcasts/${b.id}/cancel`);
    const missing = await api("GET", "/api/v1/broadcasts/does-not-exist");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("BROADCAST_NOT_FOUND");
  });

  it("above the hard limit: 413 and nothing stored", async () => {
    const res = await api("POST", "/api/v1/broadcasts", { message: "ü".repeat(4097) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("MESSAGE_TOO_LARGE");
  });

  it("no gateway token in any response or log line", () => {
    for (const b of bodies) expect(b).not.toContain(TOKEN);
    expect(srv.output()).not.toContain(TOKEN);
  });
});

describe("broadcast expiry", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ env: { MESH_CONFIRM_TTL_SEC: "10" } });
    await srv.addTeammate({ handle: "solo", name: "Solo", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("an expired confirmation answers 410 BROADCAST_EXPIRED and sends nothing", { timeout: 30_000 }, async () => {
    const key = await srv.keyFor("operator");
    const b = await srv.api("POST", "/api/v1/broadcasts", { message: "too late" }, { key });
    expect(b.status).toBe(201);
    expect(Date.parse(b.body.expiresAt) - Date.parse(b.body.createdAt)).toBe(10_000);
    await new Promise((r) => setTimeout(r, 10_300));
    const res = await srv.api("POST", `/api/v1/broadcasts/${b.body.id}/confirm`, { token: b.body.confirmationToken }, { key });
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe("BROADCAST_EXPIRED");
    const got = await srv.api("GET", `/api/v1/broadcasts/${b.body.id}`, undefined, { key });
    expect(got.body.state).toBe("expired");
    expect(got.body.confirmationToken).toBeNull();
    expect(gw.received).toEqual([]);
  });
});

describe("broadcast with nobody eligible", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let operator: string;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "me@example.com" } });
    operator = await srv.keyFor("operator");
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  const stored = async () => {
    const list = await srv.api("GET", "/api/v1/broadcasts", undefined, { key: operator });
    const audit = await srv.api("GET", "/api/v1/audit?kind=broadcast", undefined, { key: operator });
    return { broadcasts: list.body.items, audit: audit.body.items };
  };

  it("an empty registry: 409 NO_RECIPIENTS that says so; nothing stored", async () => {
    const res = await srv.api("POST", "/api/v1/broadcasts", { message: "anyone?" }, { key: operator });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({ code: "NO_RECIPIENTS", message: expect.stringContaining("there are no teammates yet"), details: { skipped: [] } });
    expect(await stored()).toEqual({ broadcasts: [], audit: [] });
  });

  it("only me: 409 NO_RECIPIENTS naming me as the reason; nothing stored or sent", async () => {
    await srv.addTeammate({ handle: "me", name: "Myself", gatewayUrl: gw.url, token: TOKEN });
    const res = await srv.api("POST", "/api/v1/broadcasts", { message: "just me" }, { key: operator });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("NO_RECIPIENTS");
    expect(res.body.error.message).toBe("Nobody to broadcast to: me is you (this server's own agent). Nothing was stored.");
    expect(res.body.error.details).toEqual({ skipped: [{ handle: "me", reason: "self" }] });
    expect(await stored()).toEqual({ broadcasts: [], audit: [] });
    expect(gw.received).toEqual([]);
  });

  it("me plus address-less and token-less teammates: still 409, every skip reason named", async () => {
    await srv.addTeammate({ handle: "carol", name: "Carol Nowhere", gatewayUrl: null });
    await srv.addTeammate({ handle: "dan", name: "Dan Nowhere", gatewayUrl: null });
    await srv.addTeammate({ handle: "dave", name: "Dave Tokenless", gatewayUrl: gw.url });
    const res = await srv.api("POST", "/api/v1/broadcasts", { message: "hello team" }, { key: operator });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("NO_RECIPIENTS");
    expect(res.body.error.message).toBe(
      "Nobody to broadcast to: me is you (this server's own agent); carol, dan have no gateway address; dave has no gateway token. Nothing was stored.",
    );
    expect(res.body.error.details.skipped).toEqual([
      { handle: "carol", reason: "no_address" },
      { handle: "dan", reason: "no_address" },
      { handle: "dave", reason: "no_credentials" },
      { handle: "me", reason: "self" },
    ]);
    // the same with an Idempotency-Key: the error is not turned into a stored broadcast on replay
    const again = await srv.api("POST", "/api/v1/broadcasts", { message: "hello team" }, { key: operator, headers: { "Idempotency-Key": "no-recipients-1" } });
    expect(again.status).toBe(409);
    expect(await stored()).toEqual({ broadcasts: [], audit: [] });
    expect(gw.received).toEqual([]);
  });

  it("a dry run still answers 200 with the empty recipient list and the reasons", async () => {
    const res = await srv.api("POST", "/api/v1/broadcasts", { message: "preview", dryRun: true }, { key: operator });
    expect(res.status).toBe(200);
    expect(res.body.recipients).toEqual([]);
    expect(res.body.skipped.map((s: { handle: string; reason: string }) => `${s.handle}:${s.reason}`)).toEqual([
      "carol:no_address",
      "dan:no_address",
      "dave:no_credentials",
      "me:self",
    ]);
  });

  it("once one teammate becomes eligible, the broadcast is created for exactly that one", async () => {
    const token = await srv.api("PUT", "/api/v1/teammates/dave/token", { token: TOKEN }, { key: await srv.adminKey() });
    expect(token.status).toBe(200);
    const res = await srv.api("POST", "/api/v1/broadcasts", { message: "now dave" }, { key: operator });
    expect(res.status).toBe(201);
    expect(res.body.recipients.map((r: { handle: string }) => r.handle)).toEqual(["dave"]);
    await srv.api("POST", `/api/v1/broadcasts/${res.body.id}/cancel`, undefined, { key: operator });
  });
});
