// WebSocket endpoint /api/v1/events: pushes bus events as JSON frames to authenticated clients.
// Authentication is the REST one (session cookie or API key), checked on the upgrade request.
// Heartbeat: a ping every `heartbeatMs`; a client that did not answer the previous one is dropped.
// Backpressure: a client whose unsent buffer exceeds `maxBufferedBytes` is dropped, never waited for.
// Revocation: an open connection is closed with 4401 (EVENTS_CLOSE.CREDENTIAL_INVALID) once its
// credential stops being valid. The auth service's revocation signal (`onRevoked`) re-checks the
// affected connections at once; every `recheckMs` all of them are re-checked as a backstop
// (expiry, sessions ended by another process such as `team-mesh admin reset-password`).
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { EVENTS_CLOSE, type MeshEvent } from "../../shared/api/events.ts";
import type { CredentialRevocation, Principal } from "../auth/types.ts";
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
  /**
   * Re-validates an open connection by its upgrade request, without side effects (default:
   * authenticate). Null, or another principal, closes the connection with 4401.
   */
  recheck?(req: Request): Principal | null | Promise<Principal | null>;
  /** Subscribes to credential revocations; the affected connections are re-checked at once. */
  onRevoked?(listener: (revocation: CredentialRevocation) => void): () => void;
  /** Backstop: every open connection is re-checked this often (default 60 s). */
  recheckMs?: number;
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
  const code = status === 400 ? "VALIDATION_FAILED" : status === 401 ? "UNAUTHENTICATED" : status === 404 ? "NOT_FOUND" : "FORBIDDEN";
  const body = JSON.stringify({ error: { code, message: text } });
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

interface Client {
  ws: WebSocket;
  principal: Principal;
  /** The upgrade request (its headers carry the credential), for re-checks. */
  req: Request;
}

const samePrincipal = (a: Principal, b: Principal) => a.kind === b.kind && a.id === b.id && a.role === b.role;

/** Could this revocation concern this principal? (Then its connection is re-checked.) */
function concerns(p: Principal, r: CredentialRevocation): boolean {
  return r.kind === "api_key" ? p.kind === "api_key" && p.id === r.keyId : p.kind === "user" && p.id === r.userId;
}

export function createEventsEndpoint(opts: EventsEndpointOptions): EventsEndpoint {
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const alive = new WeakMap<WebSocket, boolean>();
  const clients = new Set<Client>();
  const recheck = opts.recheck ?? ((req: Request) => opts.authenticate(req));

  function verdict(c: Client, now: Principal | null): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (now && samePrincipal(now, c.principal)) return;
    opts.logger.info({ principal: c.principal.label }, "events: credential no longer valid, closing the connection");
    c.ws.close(EVENTS_CLOSE.CREDENTIAL_INVALID, "credential revoked or expired: sign in again");
  }
  function failed(c: Client, err: unknown): void {
    // Cannot tell whether the credential is still valid: do not keep pushing to it.
    opts.logger.warn({ err, principal: c.principal.label }, "events: re-checking a connection failed");
    if (c.ws.readyState === c.ws.OPEN) c.ws.close(1011, "could not re-check the credential");
  }
  /** Synchronous when `recheck` is: no event is pushed between a revocation and the close. */
  function recheckClient(c: Client): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    let result: Principal | null | Promise<Principal | null>;
    try {
      result = recheck(c.req);
    } catch (err) {
      failed(c, err);
      return;
    }
    if (result instanceof Promise) result.then((p) => verdict(c, p), (err: unknown) => failed(c, err));
    else verdict(c, result);
  }

  const unsubscribeRevoked =
    opts.onRevoked?.((r) => {
      for (const c of [...clients]) if (concerns(c.principal, r)) recheckClient(c);
    }) ?? (() => undefined);
  const backstop = setInterval(() => {
    for (const c of [...clients]) recheckClient(c);
  }, opts.recheckMs ?? 60_000);
  backstop.unref();

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

  function onConnection(ws: WebSocket, principal: Principal, req: Request): void {
    const client: Client = { ws, principal, req };
    clients.add(client);
    ws.on("close", () => clients.delete(client));
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
    // A revocation between the upgrade's authentication and now would have found no connection.
    recheckClient(client);
    // Messages from the client are not part of the protocol; ignore them.
    send({ type: "hello", at: new Date().toISOString() });
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    socket.on("error", () => socket.destroy());
    if (path !== EVENTS_PATH) return reject(socket, 404, "Not Found");
    if (!originAllowed(req)) return reject(socket, 403, "Forbidden");
    let principal: Principal | null = null;
    let request: Request;
    try {
      request = toRequest(req);
    } catch {
      // e.g. a Host header that is no host ("a b"): answer like the HTTP server does
      return reject(socket, 400, "Bad Request");
    }
    try {
      principal = await opts.authenticate(request);
    } catch (err) {
      opts.logger.warn({ err }, "events: authentication failed");
    }
    if (!principal) return reject(socket, 401, "Unauthorized");
    // ws itself refuses a bad handshake with a plain-text body: refuse it here, in the envelope
    const wsKey = req.headers["sec-websocket-key"];
    const version = req.headers["sec-websocket-version"];
    if (req.method !== "GET" || req.headers.upgrade?.toLowerCase() !== "websocket" || typeof wsKey !== "string" || !/^[+/0-9A-Za-z]{22}==$/.test(wsKey.trim())) {
      return reject(socket, 400, "Bad Request");
    }
    if (version !== "13" && version !== "8") return reject(socket, 400, "Bad Request");
    const who = principal;
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who, request));
  }

  return {
    attach(server) {
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(req, socket, head).catch((err: unknown) => {
          opts.logger.warn({ err }, "events: upgrade failed");
          socket.destroy();
        });
      });
    },
    clientCount: () => wss.clients.size,
    close() {
      clearInterval(heartbeat);
      clearInterval(backstop);
      unsubscribeRevoked();
      for (const ws of wss.clients) ws.close(1001, "server shutting down");
      wss.close();
    },
  };
}
