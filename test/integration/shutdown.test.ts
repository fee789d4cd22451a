// Crash and shutdown behaviour of the real process (`node server/main.ts` as a child).
import { request } from "node:http";
import { connect as tcpConnect } from "node:net";
import WebSocket from "ws";
import { buildApp } from "../../server/app.ts";
import { FINAL_STATUSES } from "../../shared/api/messages.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-shutdown-3c3c";

describe("crash: kill -9 after the pending audit entry was written", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ child: true });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("the entry is interrupted after restart, and so is the message", { timeout: 60_000 }, async () => {
    const key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
    const sent = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "hold this [[delay:30000]]", wait: false, timeoutSec: 120 }, { key });
    expect(sent.status).toBe(202);
    const pending = await until(
      () => srv.api("GET", `/api/v1/audit?kind=send&messageId=${sent.body.id}`, undefined, { key }),
      (r) => r.body.items?.length === 1 && r.body.items[0].outcome === "pending",
    );
    const auditId = pending.body.items[0].id as number;
    // the message reached the gateway, which holds the reply
    await until(() => gw.received.length, (n) => n === 1);
    const exit = await srv.kill("SIGKILL");
    expect(exit.signal).toBe("SIGKILL");

    await srv.restart();
    const entry = await srv.api("GET", `/api/v1/audit/${auditId}`, undefined, { key });
    expect(entry.status).toBe(200);
    expect(entry.body.outcome).toBe("interrupted");
    const msg = await srv.api("GET", `/api/v1/messages/${sent.body.id}`, undefined, { key });
    expect(msg.body.status).toBe("interrupted");
    expect(msg.body.exchanges[0].status).toBe("interrupted");
    const verify = await srv.api("GET", "/api/v1/audit/verify", undefined, { key });
    expect(verify.body.ok).toBe(true);
  });
});

describe("SIGTERM", () => {
  let gws: FakeGateway[];
  beforeAll(async () => {
    gws = await Promise.all([0, 1, 2].map(() => startFakeGateway({ token: TOKEN })));
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop()));
  });

  it("during a broadcast: exits 0 and every recipient ends with a definite status", { timeout: 60_000 }, async () => {
    const srv = await startTestServer({ child: true, env: { MESH_SHUTDOWN_GRACE_SEC: "1", MESH_BROADCAST_CONCURRENCY: "2" } });
    try {
      const key = await srv.keyFor("operator");
      for (const [i, g] of gws.entries()) await srv.addTeammate({ handle: `t${i}`, name: `T ${i}`, gatewayUrl: g.url, token: TOKEN });
      const b = await srv.api("POST", "/api/v1/broadcasts", { message: "long haul [[delay:30000]]", timeoutSec: 120 }, { key });
      await srv.api("POST", `/api/v1/broadcasts/${b.body.id}/confirm`, { token: b.body.confirmationToken }, { key });
      await until(
        () => srv.api("GET", `/api/v1/broadcasts/${b.body.id}`, undefined, { key }),
        (r) => r.body.recipients.filter((x: { status: string }) => x.status === "sending").length === 2,
      );
      const started = Date.now();
      const exit = await srv.kill("SIGTERM");
      expect(exit.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(srv.output()).toContain("grace period over");

      await srv.restart();
      const after = await srv.api("GET", `/api/v1/broadcasts/${b.body.id}`, undefined, { key });
      expect(after.body.state).toBe("completed");
      for (const r of after.body.recipients) expect(FINAL_STATUSES).toContain(r.status);
      expect(after.body.recipients.map((r: { status: string }) => r.status)).toEqual(["interrupted", "interrupted", "interrupted"]);
      const pending = await srv.api("GET", `/api/v1/audit?broadcastId=${b.body.id}&outcome=pending`, undefined, { key });
      expect(pending.body.items).toEqual([]);
      const interrupted = await srv.api("GET", `/api/v1/audit?broadcastId=${b.body.id}&kind=send`, undefined, { key });
      expect(interrupted.body.items.map((e: { outcome: string }) => e.outcome)).toEqual(["interrupted", "interrupted"]);
      // secrets never in the process output
      const out = srv.output();
      expect(out).not.toContain(TOKEN);
      expect(out).not.toContain(key);
      expect(out).not.toContain(ADMIN_PASSWORD);
    } finally {
      await srv.stop();
    }
  });

  it("lets an in-flight send finish within the grace period", { timeout: 60_000 }, async () => {
    // its own gateway: the interrupted runs of the test above go on on theirs (shutdown leaves
    // them running, as a crash would), and a send into that session would be steered into them
    const own = await startFakeGateway({ token: TOKEN });
    const srv = await startTestServer({ child: true, env: { MESH_SHUTDOWN_GRACE_SEC: "15" } });
    try {
      const key = await srv.keyFor("operator");
      await srv.addTeammate({ handle: "quick", name: "Quick", gatewayUrl: own.url, token: TOKEN });
      const sent = await srv.api("POST", "/api/v1/messages", { to: "quick", message: "almost done [[delay:1500]]", wait: false }, { key });
      await until(() => srv.api("GET", `/api/v1/messages/${sent.body.id}`, undefined, { key }), (r) => r.body.status === "sending");
      const exit = await srv.kill("SIGTERM");
      expect(exit.code).toBe(0);
      await srv.restart();
      const msg = await srv.api("GET", `/api/v1/messages/${sent.body.id}`, undefined, { key });
      expect(msg.body.status).toBe("replied");
    } finally {
      await srv.stop();
      await own.stop();
    }
  });
});

/** One request on a brand-new TCP connection (no keep-alive pool); gives up after `ms` ("HANG"). */
function freshRequest(url: string, path: string, key: string, ms = 5_000): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { agent: false, headers: { Authorization: `Bearer ${key}` }, timeout: ms }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ error: "HANG" });
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

describe("SIGTERM with a send in flight on a live socket", () => {
  let gw: FakeGateway;
  let srv: TestServer;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `done: ${m}` });
    srv = await startTestServer({ child: true, env: { MESH_SHUTDOWN_GRACE_SEC: "60" } });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("new connections are refused at once, a request on an already-open connection gets 503 SHUTTING_DOWN, the send finishes, exit 0", { timeout: 90_000 }, async () => {
    const key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
    // the send waits for its reply on its own HTTP connection
    let settled = false;
    const inFlight = srv
      .api("POST", "/api/v1/messages", { to: "bob", message: "long job [[delay:8000]]", timeoutSec: 60 }, { key })
      .finally(() => (settled = true));
    await until(() => gw.received.length, (n) => n === 1);
    // an events socket, and a connection opened before the signal with its request half-sent
    const ws = new WebSocket(`${srv.url.replace("http", "ws")}/api/v1/events`, { headers: { Authorization: `Bearer ${key}` } });
    await new Promise((r) => ws.once("open", r));
    const wsClosed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    const raw = tcpConnect(srv.port, "127.0.0.1");
    await new Promise((r) => raw.once("connect", r));
    let rawText = "";
    raw.on("data", (d: Buffer) => (rawText += d.toString()));
    const rawClosed = new Promise((r) => raw.once("close", r));
    raw.write(`GET /api/v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n`);

    const exited = srv.kill("SIGTERM");
    await until(() => srv.output(), (o) => o.includes('"msg":"shutting down"'));

    // during the grace period: a fresh connection is refused at once (the listener is closed) —
    // never a hang, never a 500; the health check goes the same way
    expect(await freshRequest(srv.url, "/api/v1/config", key)).toEqual({ error: "ECONNREFUSED" });
    expect(await freshRequest(srv.url, "/api/v1/messages", key)).toEqual({ error: "ECONNREFUSED" });
    expect(await freshRequest(srv.url, "/healthz", key)).toEqual({ error: "ECONNREFUSED" });
    await expect(
      new Promise((resolve, reject) => {
        const late = new WebSocket(`${srv.url.replace("http", "ws")}/api/v1/events`, { headers: { Authorization: `Bearer ${key}` } });
        late.once("open", () => resolve("open"));
        late.once("error", (err: NodeJS.ErrnoException) => reject(Object.assign(new Error(err.message), { code: err.code })));
      }),
    ).rejects.toMatchObject({ code: "ECONNREFUSED" });
    // the request that was already on its way gets the documented 503, and the connection closes
    raw.write("\r\n");
    await Promise.race([rawClosed, new Promise((r) => setTimeout(r, 10_000))]);
    expect(rawText).toMatch(/^HTTP\/1\.1 503 /);
    expect(rawText.toLowerCase()).toContain("connection: close");
    expect(rawText.toLowerCase()).toContain("retry-after: 5");
    expect(JSON.parse(rawText.slice(rawText.indexOf("\r\n\r\n") + 4))).toEqual({ error: { code: "SHUTTING_DOWN", message: "The server is shutting down" } });
    // event streams are closed with 1001 (going away)
    expect(await wsClosed).toBe(1001);
    // all of this happened while the send was still running
    expect(settled).toBe(false);

    // the send finishes within the grace period and its caller gets the reply
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "replied", exchanges: [{ status: "replied", reply: "done: long job" }] });
    const exit = await exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(srv.output()).not.toContain("grace period over");

    await srv.restart();
    const msg = await srv.api("GET", `/api/v1/messages/${res.body.id}`, undefined, { key });
    expect(msg.body.status).toBe("replied");
    const audit = await srv.api("GET", `/api/v1/audit?messageId=${res.body.id}&kind=send`, undefined, { key });
    expect(audit.body.items.map((e: { outcome: string }) => e.outcome)).toEqual(["replied"]);
  });
});

describe("while shutting down", () => {
  it("new API requests get 503 SHUTTING_DOWN; health stays up", async () => {
    const srv = await startTestServer();
    try {
      const { app } = buildApp(srv.running!.services, { isShuttingDown: () => true, serveWeb: false });
      const res = await app.request("/api/v1/config");
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("SHUTTING_DOWN");
      expect((await app.request("/healthz")).status).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});
