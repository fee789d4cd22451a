// The events WebSocket endpoint on a bare node server: auth hook, heartbeat, backpressure.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import WebSocket from "ws";
import type { Principal } from "../../../server/auth/types.ts";
import { createEventBus } from "../../../server/events/bus.ts";
import { createEventsEndpoint, type EventsEndpoint } from "../../../server/events/ws.ts";

const alice: Principal = { kind: "user", id: "1", name: "alice", role: "operator", label: "user:alice" };

describe("events endpoint", () => {
  let server: Server;
  let endpoint: EventsEndpoint;
  let url: string;
  const bus = createEventBus();
  const setup = async (opts: { heartbeatMs?: number; maxBufferedBytes?: number } = {}) => {
    server = createServer((_req, res) => res.end());
    endpoint = createEventsEndpoint({
      bus,
      logger: pino({ level: "silent" }),
      authenticate: async (req) => (req.headers.get("authorization") === "Bearer good" ? alice : null),
      canSee: () => true,
      ...opts,
    });
    endpoint.attach(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`;
  };
  afterEach(async () => {
    endpoint.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("401 without credentials, 404 on another path", async () => {
    await setup();
    const status = (u: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(u, { headers });
        ws.on("unexpected-response", (_q, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve(101));
        ws.on("error", () => undefined);
      });
    expect(await status(url)).toBe(401);
    expect(await status(url.replace("/events", "/other"), { Authorization: "Bearer good" })).toBe(404);
    expect(await status(url, { Authorization: "Bearer good" })).toBe(101);
  });

  it("drops a client that stops answering pings", async () => {
    await setup({ heartbeatMs: 100 });
    const ws = new WebSocket(url, { headers: { Authorization: "Bearer good" }, autoPong: false });
    await new Promise((r) => ws.once("open", r));
    expect(endpoint.clientCount()).toBe(1);
    await new Promise((r) => ws.once("close", r));
    for (let i = 0; i < 50 && endpoint.clientCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(endpoint.clientCount()).toBe(0);
  });

  it("keeps a client that answers pings", async () => {
    await setup({ heartbeatMs: 100 });
    const ws = new WebSocket(url, { headers: { Authorization: "Bearer good" } });
    await new Promise((r) => ws.once("open", r));
    await new Promise((r) => setTimeout(r, 500));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it("drops a slow reader instead of buffering without bound", async () => {
    await setup({ maxBufferedBytes: 256 * 1024 });
    const ws = new WebSocket(url, { headers: { Authorization: "Bearer good" } });
    await new Promise((r) => ws.once("open", r));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stop reading
    const closed = new Promise((r) => ws.once("close", r));
    const text = "x".repeat(64 * 1024);
    for (let i = 0; i < 400 && endpoint.clientCount() > 0; i++) {
      bus.publish({ type: "message.delta", id: "m", round: 1, text });
      await new Promise((r) => setImmediate(r));
    }
    expect(endpoint.clientCount()).toBe(0);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await closed;
  });
});
