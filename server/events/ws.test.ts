// The events WebSocket endpoint on a bare node server: auth hook, heartbeat, backpressure.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import WebSocket from "ws";
import type { CredentialRevocation, Principal } from "../auth/types.ts";
import { createEventBus } from "./bus.ts";
import { createEventsEndpoint, type EventsEndpoint, type EventsEndpointOptions } from "./ws.ts";

const alice: Principal = { kind: "user", id: "1", name: "alice", role: "operator", label: "user:alice" };

describe("events endpoint", () => {
  let server: Server;
  let endpoint: EventsEndpoint;
  let url: string;
  const bus = createEventBus();
  const setup = async (opts: Partial<EventsEndpointOptions> = {}) => {
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
    for (let i = 0; i < 500 && endpoint.clientCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(endpoint.clientCount()).toBe(0);
  });

  it("keeps a client that answers pings", async () => {
    // A heartbeat long enough that a loaded machine's stall cannot make a pong look missing.
    await setup({ heartbeatMs: 400 });
    const ws = new WebSocket(url, { headers: { Authorization: "Bearer good" } });
    await new Promise((r) => ws.once("open", r));
    await new Promise((r) => setTimeout(r, 1_700)); // four rounds
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

describe("events endpoint: credential re-checks", () => {
  const principals: Record<string, Principal> = {
    alice: { kind: "user", id: "1", name: "alice", role: "operator", label: "user:alice" },
    k1: { kind: "api_key", id: "k1", name: "one", role: "auditor", label: "key:one" },
    k2: { kind: "api_key", id: "k2", name: "two", role: "auditor", label: "key:two" },
  };
  let valid: Set<string>;
  let rechecks: string[];
  let failRecheck: boolean;
  let listeners: ((r: CredentialRevocation) => void)[];
  /** Runs after the upgrade request was authenticated, before the connection is registered. */
  let beforeUpgrade: () => Promise<void> = async () => undefined;
  let server: Server;
  let endpoint: EventsEndpoint;
  let url: string;
  const tokenOf = (req: Request) => req.headers.get("authorization")?.replace("Bearer ", "") ?? "";

  const setup = async (recheckMs = 3_600_000) => {
    valid = new Set(Object.keys(principals));
    rechecks = [];
    failRecheck = false;
    listeners = [];
    server = createServer((_req, res) => res.end());
    endpoint = createEventsEndpoint({
      bus: createEventBus(),
      logger: pino({ level: "silent" }),
      authenticate: async (req) => {
        const p = valid.has(tokenOf(req)) ? (principals[tokenOf(req)] ?? null) : null;
        await beforeUpgrade();
        return p;
      },
      recheck: (req) => {
        rechecks.push(tokenOf(req));
        if (failRecheck) throw new Error("database is closing");
        return valid.has(tokenOf(req)) ? (principals[tokenOf(req)] ?? null) : null;
      },
      onRevoked: (l) => {
        listeners.push(l);
        return () => (listeners = listeners.filter((x) => x !== l));
      },
      recheckMs,
      canSee: () => true,
    });
    endpoint.attach(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`;
  };
  const open = async (token: string) => {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once("close", (code, reason) => r({ code, reason: reason.toString() })));
    await new Promise((r) => ws.once("message", r)); // hello
    return { ws, closed };
  };
  const revoke = (r: CredentialRevocation) => {
    for (const l of listeners) l(r);
  };
  afterEach(async () => {
    beforeUpgrade = async () => undefined;
    endpoint.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("a revocation re-checks only the connections it concerns; the invalid one is closed with 4401", async () => {
    await setup();
    const a = await open("alice");
    const one = await open("k1");
    const two = await open("k2");
    rechecks.length = 0; // (each connection is re-checked once right after the upgrade)
    valid.delete("k1");
    revoke({ kind: "api_key", keyId: "k1" });
    expect(rechecks).toEqual(["k1"]);
    expect(await one.closed).toEqual({ code: 4401, reason: "credential revoked or expired: sign in again" });
    // alice signed out of another session: re-checked, still valid, kept
    revoke({ kind: "session", userId: "1" });
    expect(rechecks).toEqual(["k1", "alice"]);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    expect(two.ws.readyState).toBe(WebSocket.OPEN);
    for (let i = 0; i < 100 && endpoint.clientCount() > 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(endpoint.clientCount()).toBe(2);
    a.ws.close();
    two.ws.close();
  });

  it("a credential revoked between authentication and the upgrade is caught by the re-check after it", async () => {
    await setup();
    // authenticated as valid; revoked (no connection registered yet, so no one to re-check) before the upgrade completes
    beforeUpgrade = async () => {
      valid.delete("k2");
      revoke({ kind: "api_key", keyId: "k2" });
    };
    const ws = new WebSocket(url, { headers: { Authorization: "Bearer k2" } });
    const messages: string[] = [];
    ws.on("message", (d) => messages.push(String(d)));
    const code = await Promise.race([
      new Promise<number>((r) => ws.once("close", (c) => r(c))),
      new Promise<number>((r) => setTimeout(() => r(-1), 10_000).unref()), // -1: still open
    ]);
    ws.terminate();
    expect(code).toBe(4401);
    expect(messages).toEqual([]); // not even the hello
  });

  it("a re-check that fails closes the connection (1011) rather than keep pushing to it", async () => {
    await setup();
    const one = await open("k1");
    failRecheck = true;
    revoke({ kind: "api_key", keyId: "k1" });
    expect((await one.closed).code).toBe(1011);
  });

  it("the periodic backstop closes a connection whose credential lapsed without any signal", async () => {
    await setup(100);
    const one = await open("k1");
    const two = await open("k2");
    valid.delete("k1");
    expect((await one.closed).code).toBe(4401);
    await new Promise((r) => setTimeout(r, 300)); // a few more rounds: the valid one stays
    expect(two.ws.readyState).toBe(WebSocket.OPEN);
    two.ws.close();
  });

  it("close() stops listening for revocations", async () => {
    await setup();
    expect(listeners).toHaveLength(1);
    endpoint.close();
    expect(listeners).toHaveLength(0);
  });
});
