// Idempotency-Key for the state-changing routes that send (POST /messages, /broadcasts, confirm).
// Keys are per caller (the user or API key, by id). Same key + same request → the first response, replayed
// (with `Idempotent-Replayed: true`), and the handler does not run again: nothing is sent twice.
// Same key + a different request → 422 IDEMPOTENCY_KEY_REUSED. First request still running →
// 409 IDEMPOTENCY_IN_PROGRESS. A first request that ended in 5xx frees its key (retry allowed).
import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../auth/context.ts";
import type { Db } from "../db/connection.ts";
import { and, eq, isNull, lt, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { idempotencyKeys } from "../db/schema.ts";
import { ApiError } from "../errors.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_RE = /^[\x21-\x7e]{1,200}$/;

type Row = Pick<typeof idempotencyKeys.$inferSelect, "route" | "requestHash" | "status" | "body">;

export function idempotency(db: Db): MiddlewareHandler<AppEnv> {
  const $ = sql.placeholder;
  const thisKey = and(eq(idempotencyKeys.actor, $("actor")), eq(idempotencyKeys.key, $("key")));
  const select = db
    .select({ route: idempotencyKeys.route, requestHash: idempotencyKeys.requestHash, status: idempotencyKeys.status, body: idempotencyKeys.body })
    .from(idempotencyKeys)
    .where(thisKey)
    .prepare();
  const insert = db
    .insert(idempotencyKeys)
    .values({ actor: $("actor"), key: $("key"), route: $("route"), requestHash: $("requestHash"), status: null, body: null, createdAt: $("createdAt") })
    .onConflictDoNothing()
    .prepare();
  const finish = db.update(idempotencyKeys).set({ status: set$("status"), body: set$("body") }).where(thisKey).prepare();
  const release = db.delete(idempotencyKeys).where(and(thisKey, isNull(idempotencyKeys.status))).prepare();
  const purge = db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, $("before"))).prepare();
  let lastPurge = 0;

  // One statement claims the key atomically: no transaction (a drizzle transaction is built anew
  // per call, ~15 µs). Nothing runs between the two statements (synchronous driver).
  const claim = (actor: string, key: string, route: string, requestHash: string, now: number): Row | null => {
    if (insert.run({ actor, key, route, requestHash, createdAt: now }).changes > 0) return null;
    const existing = select.get({ actor, key });
    if (!existing) throw new Error("idempotency key neither inserted nor found");
    return existing;
  };

  return async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (key === undefined) return next();
    if (!KEY_RE.test(key)) {
      throw new ApiError("VALIDATION_FAILED", "Idempotency-Key: 1-200 printable ASCII characters", {
        issues: [{ path: "Idempotency-Key", message: "1-200 printable ASCII characters", code: "invalid_format" }],
      });
    }
    // Keyed by the credential's identity, not its label: API key names are not unique, and two
    // keys named alike (say a requester's and an operator's) must never see each other's answers.
    const principal = c.get("principal");
    const actor = principal ? `${principal.kind}:${principal.id}` : "anonymous";
    const route = `${c.req.method} ${c.req.path}`;
    const body = await c.req.text(); // cached: the validator reads the same text
    const hash = createHash("sha256").update(route).update("\n").update(body).digest("hex");
    const now = Date.now();
    if (now - lastPurge > 60_000) {
      lastPurge = now;
      purge.run({ before: now - IDEMPOTENCY_TTL_MS });
    }
    const existing = claim(actor, key, route, hash, now);
    if (existing) {
      if (existing.route !== route || existing.requestHash !== hash) {
        throw new ApiError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
      }
      if (existing.status === null) {
        throw new ApiError("IDEMPOTENCY_IN_PROGRESS", "The first request with this Idempotency-Key is still running");
      }
      return new Response(existing.body, {
        status: existing.status,
        headers: { "Content-Type": "application/json", "Idempotent-Replayed": "true" },
      });
    }
    let stored = false;
    try {
      await next();
      const res = c.res;
      if (res.status < 500) {
        const text = await res.clone().text();
        finish.run({ status: res.status, body: text, actor, key });
        stored = true;
      }
    } finally {
      if (!stored) release.run({ actor, key });
    }
  };
}

/** At start-up: keys whose first request never finished (the process died) are released. */
export function releaseUnfinishedIdempotencyKeys(db: Db): number {
  return db.delete(idempotencyKeys).where(isNull(idempotencyKeys.status)).run().changes;
}
