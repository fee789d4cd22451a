// Cross-cutting middleware: request ids, access logging, the shutdown gate, and the error handler.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId as honoRequestId } from "hono/request-id";
import { HTTPException } from "hono/http-exception";
import { matchedRoutes } from "hono/route";
import { ZodError } from "zod";
import type { AppEnv } from "../auth/context.ts";
import type { WriteBatch } from "../db/write-batch.ts";
import type { Logger } from "../logger.ts";
import { ApiError, errorBody } from "../errors.ts";
import { issuesOf } from "./validation.ts";
import { issuesText } from "../../shared/issue-text.ts";

/** Hono's request id: a sane incoming X-Request-Id (word characters, - and =, ≤ 100) or a new UUID, echoed. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return honoRequestId({ limitLength: 100, generator: () => randomUUID() });
}

export function getRequestId(c: Context<AppEnv>): string | undefined {
  return c.get("requestId") ?? undefined;
}

/**
 * Gives JSON answers a Content-Length, so the compress middleware (outside this one) can leave
 * small ones alone: it decides by that header, and `c.json()` does not set it. JSON answers are
 * whole strings already; streamed bodies (exports) have other types and are left as they are.
 */
export function jsonContentLength(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const type = c.res.headers.get("content-type") ?? "";
    if (!type.startsWith("application/json") || c.res.headers.has("content-length") || !c.res.body) return;
    const bytes = new Uint8Array(await c.res.arrayBuffer());
    const res = new Response(bytes, c.res);
    res.headers.set("Content-Length", String(bytes.byteLength));
    c.res = undefined; // replace, do not merge headers
    c.res = res;
  };
}

/**
 * An answer goes out only once what the request wrote is committed (writes share one
 * transaction per event-loop turn, see db/write-batch.ts): a client never acts on a change a
 * crash could still undo. A failed commit turns the answer into a 500 (INTERNAL).
 */
export function durableWrites(writes: WriteBatch, logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!writes.open) return;
    try {
      await writes.durable();
    } catch (err) {
      logger.error({ err, requestId: getRequestId(c), path: c.req.path }, "commit failed: the request's writes were rolled back");
      throw new ApiError("INTERNAL", "The change could not be saved (the database refused the commit), so none of it was kept");
    }
  };
}

export interface RequestObserver {
  (info: { method: string; route: string; status: number; durationMs: number }): void;
}

/** One log line per request (never the query string, headers or body: they may hold secrets). */
export function accessLog(logger: Logger, observe?: RequestObserver): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    // The endpoint's pattern (bounded label set): the first matched route that is not an
    // app-wide middleware (those are registered for method ALL).
    let route: string;
    try {
      route = matchedRoutes(c).find((r) => r.method !== "ALL")?.path ?? "(unmatched)";
    } catch {
      route = "(unmatched)";
    }
    if (route === "*" || route === "/*") route = "(static)";
    const principal = c.get("principal");
    observe?.({ method: c.req.method, route, status: c.res.status, durationMs });
    const level = c.res.status >= 500 ? "error" : "info";
    logger[level](
      {
        requestId: getRequestId(c),
        method: c.req.method,
        path: c.req.path,
        route,
        status: c.res.status,
        durationMs,
        actor: principal?.label,
      },
      "request",
    );
  };
}

/** While shutting down: every new API request gets 503 SHUTTING_DOWN. */
export function shutdownGate(isShuttingDown: () => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (isShuttingDown() && (c.req.path.startsWith("/api/") || c.req.path === "/metrics")) {
      c.header("Connection", "close");
      c.header("Retry-After", "5");
      return c.json(errorBody("SHUTTING_DOWN", "The server is shutting down"), 503);
    }
    await next();
  };
}

/**
 * Caps the request body at `maxBytes` (Content-Length checked up front, chunked bodies counted
 * while read), so a huge POST cannot exhaust memory: 413 PAYLOAD_TOO_LARGE, connection closed.
 */
export function requestBodyLimit(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      c.header("Connection", "close");
      return c.json(errorBody("PAYLOAD_TOO_LARGE", `The request body is larger than the ${maxBytes} bytes this server accepts`, { limit: maxBytes }), 413);
    },
  });
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return limit(c, next);
  };
}

/** The client dropped the connection while its body was read (Node: "aborted", ECONNRESET). */
function isClientAbort(err: unknown, incoming: IncomingMessage | undefined): boolean {
  if (incoming && incoming.destroyed && !incoming.complete) return true;
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === "ECONNRESET" && e.message === "aborted") return true;
  }
  return false;
}

export function errorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (isClientAbort(err, (c.env as { incoming?: IncomingMessage } | undefined)?.incoming)) {
      logger.info({ requestId: getRequestId(c), path: c.req.path }, "client aborted the request");
      return c.json(errorBody("CLIENT_ABORTED", "The client closed the connection before the request was read"), 400);
    }
    if (err instanceof ApiError) {
      // send rate limits (server/guard/send-rate.ts) name their wait in details
      const wait = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (err.code === "RATE_LIMITED" && typeof wait === "number") c.header("Retry-After", String(wait));
      return c.json(errorBody(err.code, err.message, err.details), err.status as 400);
    }
    if (err instanceof ZodError) {
      const issues = issuesOf(err);
      return c.json(errorBody("VALIDATION_FAILED", issuesText(issues, "Invalid request"), { issues }), 400);
    }
    if (err instanceof HTTPException) {
      if (err.status === 400 && /json/i.test(err.message)) {
        return c.json(errorBody("INVALID_JSON", "The request body is not valid JSON"), 400);
      }
      if (err.status === 415) {
        return c.json(errorBody("VALIDATION_FAILED", "Unsupported media type: send application/json", { contentType: c.req.header("content-type") ?? null }), 400);
      }
      if (err.status === 401) return c.json(errorBody("UNAUTHENTICATED", err.message || "Sign in first"), 401);
      if (err.status === 403) return c.json(errorBody("FORBIDDEN", err.message || "Forbidden"), 403);
      if (err.status === 404) return c.json(errorBody("NOT_FOUND", "Not found"), 404);
      if (err.status === 413) return c.json(errorBody("PAYLOAD_TOO_LARGE", "The request body is too large"), 413);
      if (err.status < 500) return c.json(errorBody("VALIDATION_FAILED", err.message || "Bad request"), err.status as 400);
    }
    logger.error({ err, requestId: getRequestId(c), path: c.req.path }, "unhandled error");
    return c.json(errorBody("INTERNAL", "Internal server error", { requestId: getRequestId(c) }), 500);
  };
}

export const notFound: NotFoundHandler = (c) => c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404);
