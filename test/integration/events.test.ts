// WebSocket /api/v1/events: authentication, and the events a client sees.
import WebSocket from "ws";
import type { MeshEvent } from "../../shared/api/events.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-events-19af";

function connect(srv: TestServer, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; events: MeshEvent[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${srv.url.replace("http", "ws")}/api/v1/events`, { headers });
    const events: MeshEvent[] = [];
    ws.on("message", (d) => events.push(JSON.parse(String(d)) as MeshEvent));
    ws.once("open", () => resolve({ ws, events }));
    ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once("error", reject);
  });
}

describe("events WebSocket", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let operatorKey: string;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer();
    operatorKey = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("rejects unauthenticated and badly authenticated upgrades with 401", async () => {
    await expect(connect(srv)).rejects.toMatchObject({ status: 401 });
    await expect(connect(srv, { Authorization: "Bearer not-a-key" })).rejects.toMatchObject({ status: 401 });
    await expect(connect(srv, { Cookie: "mesh_session=forged" })).rejects.toMatchObject({ status: 401 });
  });

  it("rejects a cross-site Origin with 403", async () => {
    const cookie = await srv.login();
    await expect(connect(srv, { Cookie: cookie, Origin: "https://evil.example" })).rejects.toMatchObject({ status: 403 });
    const ok = await connect(srv, { Cookie: cookie, Origin: srv.url });
    ok.ws.close();
  });

  it("streams hello, teammate.status, message.updated, broadcast and audit events", async () => {
    const { ws, events } = await connect(srv, { Authorization: `Bearer ${operatorKey}` });
    try {
      await until(() => events.length, (n) => n >= 1);
      expect(events[0]?.type).toBe("hello");
      await srv.api("POST", "/api/v1/ping", { to: "bob" }, { key: operatorKey });
      const send = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "evented" }, { key: operatorKey });
      const b = await srv.api("POST", "/api/v1/broadcasts", { message: "to all" }, { key: operatorKey });
      await srv.api("POST", `/api/v1/broadcasts/${b.body.id}/confirm`, { token: b.body.confirmationToken, wait: true }, { key: operatorKey });
      await until(
        () => events.map((e) => e.type),
        (types) => ["teammate.status", "message.updated", "broadcast.updated", "broadcast.recipient", "audit.appended"].every((t) => types.includes(t as never)),
      );
      const status = events.find((e) => e.type === "teammate.status");
      expect(status).toMatchObject({ handle: "bob", status: { state: "online" } });
      const delta = events.find((e) => e.type === "message.delta" && e.id === send.body.id);
      expect(delta).toMatchObject({ round: 1, text: expect.any(String) });
      const finalMsg = events.filter((e) => e.type === "message.updated" && e.message.id === send.body.id).at(-1);
      expect(finalMsg).toMatchObject({ message: { status: "replied" } });
      const recipient = events.filter((e) => e.type === "broadcast.recipient").at(-1);
      expect(recipient).toMatchObject({ id: b.body.id, recipient: { handle: "bob", status: "replied" } });
      // pending before final, for the send
      const auditOutcomes = events.flatMap((e) => (e.type === "audit.appended" && e.entry.kind === "send" ? [e.entry.outcome] : []));
      expect(auditOutcomes[0]).toBe("pending");
      // no confirmation token travels on the event stream
      for (const e of events) if (e.type === "broadcast.updated") expect(e.broadcast.confirmationToken).toBeNull();
      expect(JSON.stringify(events)).not.toContain(TOKEN);
    } finally {
      ws.close();
    }
  });

  it("audit events only for callers with audit:read", async () => {
    const requesterKey = await srv.keyFor("requester");
    const { ws, events } = await connect(srv, { Authorization: `Bearer ${requesterKey}` });
    try {
      await srv.api("POST", "/api/v1/messages", { to: "bob", message: "quiet" }, { key: requesterKey });
      await until(() => events.some((e) => e.type === "message.updated" && e.message.status === "replied"), Boolean);
      expect(events.some((e) => e.type === "audit.appended")).toBe(false);
    } finally {
      ws.close();
    }
  });
});
