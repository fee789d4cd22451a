// Idempotency-Key on POST /messages, /broadcasts, /broadcasts/{id}/confirm.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-idem-77aa";

describe("idempotency keys", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    srv = await startTestServer();
    key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });
  beforeEach(() => {
    gw.received.length = 0;
  });

  const post = (path: string, body: unknown, idem: string, k = key) => srv.api("POST", path, body, { key: k, headers: { "Idempotency-Key": idem } });

  it("a retried send returns the first result and the gateway got one message", async () => {
    const first = await post("/api/v1/messages", { to: "bob", message: "once only" }, "send-1");
    expect(first.status).toBe(200);
    const again = await post("/api/v1/messages", { to: "bob", message: "once only" }, "send-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(gw.received).toEqual(["once only"]);
    const list = await srv.api("GET", "/api/v1/messages?limit=100", undefined, { key });
    expect(list.body.items.filter((m: { exchanges: { message: string }[] }) => m.exchanges[0]?.message === "once only")).toHaveLength(1);
  });

  it("a key reusing an expired key's name does not inherit its Idempotency-Keys (no replay of its answer or confirmation token)", async () => {
    const admin = await srv.adminKey();
    const mk = async (role: string, expiresAt?: string) =>
      srv.api("POST", "/api/v1/api-keys", { name: "twin-bot", role, ...(expiresAt ? { expiresAt } : {}) }, { key: admin });
    const twinExpiresAt = Date.now() + 3000;
    const operatorTwin = (await mk("operator", new Date(twinExpiresAt).toISOString())).body.key as string;
    // Two usable keys never share a name (the audit trail names keys by name)...
    const clash = await mk("requester");
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe("KEY_NAME_TAKEN");
    const body = { message: "twins", timeoutSec: 3 };
    const first = await post("/api/v1/broadcasts", body, "twin-1", operatorTwin);
    expect(first.status).toBe(201);
    expect(first.body.confirmationToken).toEqual(expect.any(String));
    // ...but once the first has expired, its name is free again: the new key is another caller.
    await until(() => Date.now(), (now) => now > twinExpiresAt + 100);
    const created = await mk("requester");
    expect(created.status).toBe(201);
    const other = await post("/api/v1/broadcasts", body, "twin-1", created.body.key as string);
    expect(other.status).toBe(201);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(other.body.id).not.toBe(first.body.id);
    expect(other.body.confirmationToken).toBeNull();
    expect(other.text).not.toContain(first.body.confirmationToken);
    for (const b of [first.body, other.body]) await srv.api("POST", `/api/v1/broadcasts/${b.id}/cancel`, undefined, { key });
  });

  it("same key with a different body → 422 IDEMPOTENCY_KEY_REUSED, nothing sent", async () => {
    await post("/api/v1/messages", { to: "bob", message: "first body" }, "send-2");
    gw.received.length = 0;
    const res = await post("/api/v1/messages", { to: "bob", message: "other body" }, "send-2");
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(gw.received).toEqual([]);
  });

  it("first request still running → 409 IDEMPOTENCY_IN_PROGRESS", async () => {
    const body = { to: "bob", message: "slow [[delay:3000]]" };
    const first = post("/api/v1/messages", body, "send-3");
    await until(() => gw.received.length, (n) => n > 0); // the first is at the gateway, not done
    const second = await post("/api/v1/messages", body, "send-3");
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("IDEMPOTENCY_IN_PROGRESS");
    expect((await first).status).toBe(200);
    const third = await post("/api/v1/messages", body, "send-3");
    expect(third.status).toBe(200);
    expect(gw.received).toEqual(["slow [[delay:3000]]"]);
  });

  it("a 202 Accepted is replayed too (wait:false)", async () => {
    const body = { to: "bob", message: "bg", wait: false };
    const a = await post("/api/v1/messages", body, "send-4");
    const b = await post("/api/v1/messages", body, "send-4");
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.id).toBe(a.body.id);
  });

  it("keys are per caller", async () => {
    const other = await srv.keyFor("requester");
    await post("/api/v1/messages", { to: "bob", message: "mine" }, "shared-key");
    const res = await post("/api/v1/messages", { to: "bob", message: "yours" }, "shared-key", other);
    expect(res.status).toBe(200);
    expect(gw.received).toEqual(["mine", "yours"]);
  });

  it("errors are replayed as well (a 404 stays a 404), invalid keys are refused", async () => {
    const a = await post("/api/v1/messages", { to: "nobody", message: "x" }, "send-5");
    const b = await post("/api/v1/messages", { to: "nobody", message: "x" }, "send-5");
    expect(a.status).toBe(404);
    expect(b.status).toBe(404);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    const bad = await post("/api/v1/messages", { to: "bob", message: "x" }, "x".repeat(300));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
  });

  it("broadcast create and confirm: a retried confirm does not send twice", async () => {
    const created = await post("/api/v1/broadcasts", { message: "all hands" }, "bc-1");
    expect(created.status).toBe(201);
    const again = await post("/api/v1/broadcasts", { message: "all hands" }, "bc-1");
    expect(again.body.id).toBe(created.body.id);
    const token = created.body.confirmationToken;
    const c1 = await post(`/api/v1/broadcasts/${created.body.id}/confirm`, { token, wait: true }, "bc-1-confirm");
    const c2 = await post(`/api/v1/broadcasts/${created.body.id}/confirm`, { token, wait: true }, "bc-1-confirm");
    expect(c1.status).toBe(200);
    expect(c2.status).toBe(200);
    expect(c2.body).toEqual(c1.body);
    expect(gw.received).toEqual(["all hands"]);
  });
});
