// Crash and shutdown behaviour of the real process (`node server/main.ts` as a child).
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
    const srv = await startTestServer({ child: true, env: { MESH_SHUTDOWN_GRACE_SEC: "15" } });
    try {
      const key = await srv.keyFor("operator");
      await srv.addTeammate({ handle: "quick", name: "Quick", gatewayUrl: gws[0]!.url, token: TOKEN });
      const sent = await srv.api("POST", "/api/v1/messages", { to: "quick", message: "almost done [[delay:1500]]", wait: false }, { key });
      await until(() => srv.api("GET", `/api/v1/messages/${sent.body.id}`, undefined, { key }), (r) => r.body.status === "sending");
      const exit = await srv.kill("SIGTERM");
      expect(exit.code).toBe(0);
      await srv.restart();
      const msg = await srv.api("GET", `/api/v1/messages/${sent.body.id}`, undefined, { key });
      expect(msg.body.status).toBe("replied");
    } finally {
      await srv.stop();
    }
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
