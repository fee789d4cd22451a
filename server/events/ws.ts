// WebSocket endpoint /api/v1/events: pushes bus events as JSON frames to authenticated clients.
// Authentication is the REST one (session cookie or API key), checked on the upgrade request.
// Heartbeat: a ping every `heartbeatMs`; a client that did not answer the previous one is dropped.
// Backpressure: a client whose unsent buffer exceeds `maxBufferedBytes` is dropped, never waited for.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { MeshEvent } from "../../shared/api/events.ts";
import type { Principal } from "../auth/types.ts";
import type { Logger } from "../logger.ts";
import type { EventBus } from "./types.ts";

export const EVENTS_PATH = "/api/v1/events";

export interface EventsEndpointOptions {
  bus: EventBus;
  logger: Logger;
  /** Authenticates the upgrade request exactly like a REST request; null: reject with 401. */
  authenticate(req: Request): Promise<Principal | null>;
  /** May this principal see this event? (e.g. audit entries only for audit:read). */
  canSee(principal: Principal, event: MeshEvent): boolean;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
}

export interface EventsEndpoint {
  attach(server: Server): void;
  clientCount(): number;
  close(): void;
}

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, { method: "GET", headers });
}

function reject(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ error: { code: status === 401 ? "UNAUTHENTICATED" : status === 404 ? "NOT_FOUND" : "FORBIDDEN", message: text } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Same-origin check for browsers (cross-site WebSocket hijacking): Origin, when sent, must match Host. */
function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function createEventsEndpoint(opts: EventsEndpointOptions): EventsEndpoint {
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const alive = new WeakMap<WebSocket, boolean>();

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }, heartbeatMs);
  heartbeat.unref();

  function onConnection(ws: WebSocket, principal: Principal): void {
    alive.set(ws, true);
    ws.on("pong", () => alive.set(ws, true));
    ws.on("error", () => ws.terminate());
    const send = (event: MeshEvent) => {
      if (ws.readyState !== ws.OPEN) return;
      if (!opts.canSee(principal, event)) return;
      if (ws.bufferedAmount > maxBuffered) {
        opts.logger.warn({ principal: principal.label, buffered: ws.bufferedAmount }, "events: dropping slow client");
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(event));
    };
    const unsubscribe = opts.bus.subscribe(send);
    ws.on("close", unsubscribe);
    // Messages from the client are not part of the protocol; ignore them.
    send({ type: "hello", at: new Date().toISOString() });
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    socket.on("error", () => socket.destroy());
    if (path !== EVENTS_PATH) return reject(socket, 404, "Not Found");
    if (!originAllowed(req)) return reject(socket, 403, "Forbidden");
    let principal: Principal | null = null;
    try {
      principal = await opts.authenticate(toRequest(req));
    } catch (err) {
      opts.logger.warn({ err }, "events: authentication failed");
    }
    if (!principal) return reject(socket, 401, "Unauthorized");
    const who = principal;
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who));
  }

  return {
    attach(server) {
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        void onUpgrade(req, socket, head);
      });
    },
    clientCount: () => wss.clients.size,
    close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(1001, "server shutting down");
      wss.close();
    },
  };
}
