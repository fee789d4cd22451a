// Socket-level protection of the Node HTTP server, below Hono: header / request / keep-alive
// timeouts, a cap on open connections per remote address, and envelope answers for requests the
// HTTP parser refuses before the app sees them.
import type { Server } from "node:http";
import type { Socket } from "node:net";
import { RequestError } from "@hono/node-server";
import type { Logger } from "../logger.ts";
import { ERROR_STATUS, type ErrorCode } from "../../shared/errors.ts";
import { errorBody } from "../errors.ts";

export interface SocketLimits {
  headerTimeoutMs: number;
  /** Time to receive the whole request (headers + body). Node stops this clock once the request is
   * read, so a `wait: true` send waiting minutes for its reply is not cut by it. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnectionsPerAddress: number;
}

/** Options for node:http createServer (passed through serve()'s serverOptions). */
export function serverOptions(limits: SocketLimits) {
  return {
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headerTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts on this interval (default 30 s): keep it well under them.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.headerTimeoutMs / 4))),
  };
}

/** A raw HTTP/1.1 answer in the API's error envelope, closing the connection. */
export function rawErrorResponse(code: ErrorCode, message: string, status: number = ERROR_STATUS[code], head = false): string {
  const json = JSON.stringify(errorBody(code, message));
  const body = head ? "" : json;
  return (
    `HTTP/1.1 ${status} ${status === 408 ? "Request Timeout" : status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
    "Content-Type: application/json; charset=utf-8\r\n" +
    `Content-Length: ${Buffer.byteLength(json)}\r\n` +
    "Connection: close\r\n\r\n" +
    body
  );
}

export function protectServer(server: Server, limits: SocketLimits, logger: Logger): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Map<string, number>();
  let refusedLogged = 0;
  server.on("connection", (socket: Socket) => {
    const addr = socket.remoteAddress ?? "unknown";
    const n = (open.get(addr) ?? 0) + 1;
    if (n > limits.maxConnectionsPerAddress) {
      // One line per 1,000 refusals: a flood must not flood the log too.
      if (refusedLogged++ % 1000 === 0) logger.warn({ addr, limit: limits.maxConnectionsPerAddress }, "too many connections from one address: refused");
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once("close", () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
  // Requests the parser refuses (malformed, headers too large, timed out) — Node's default answers
  // with a bare status line; answer in the envelope when the socket can still take it.
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const timedOut = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
    // an answer to HEAD has no body (the client would read it as a second response)
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
    logger.info({ code: err.code, addr: socket.remoteAddress }, timedOut ? "request not received in time: closed" : "malformed request refused");
    const answer = timedOut
      ? rawErrorResponse("REQUEST_TIMEOUT", "The request was not received in time.", 408, head)
      : tooLarge
        ? rawErrorResponse("BAD_REQUEST", "Request headers are too large.", 431, head)
        : rawErrorResponse("BAD_REQUEST", "Malformed HTTP request.", 400, head);
    socket.end(answer);
  });
}

/** Answer of Hono's node listener when a request cannot be turned into a Request or its fetch throws. */
export function listenerError(err: unknown, logger: Logger): Response {
  const json = (code: ErrorCode, message: string) =>
    new Response(JSON.stringify(errorBody(code, message)), { status: ERROR_STATUS[code], headers: { "content-type": "application/json; charset=utf-8" } });
  if (err instanceof RequestError) return json("BAD_REQUEST", "Malformed request: a header, the method or the URL is not valid.");
  logger.error({ err }, "unhandled error in the HTTP listener");
  return json("INTERNAL", "Internal server error");
}
