// The two broadcast tables as drizzle returns them (JSON and boolean columns decoded), the
// statements on them (built once: the fan-out writes a recipient row several times per send),
// and a recipient row in the API's shape.
import type { Recipient } from "../../shared/api/broadcasts.ts";
import type { Db } from "../db/connection.ts";
import { and, asc, desc, eq, gt, inArray, isNull, lte, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { broadcastRecipients, broadcasts } from "../db/schema.ts";
import { iso } from "./outcome.ts";

export type BroadcastRow = typeof broadcasts.$inferSelect;
export type RecipientRow = typeof broadcastRecipients.$inferSelect;

// Placeholders in `values` are bound through the column's encoder (JSON columns take the value,
// `fallback` a boolean); set$ ones in `set` as given (`confirmedBy` is JSON text).
export function prepareBroadcastQueries(db: Db) {
  const $ = sql.placeholder;
  const thisBroadcast = eq(broadcasts.id, $("id"));
  const thisRecipient = and(eq(broadcastRecipients.broadcastId, $("broadcastId")), eq(broadcastRecipients.handle, $("handle")));
  const ofBroadcast = eq(broadcastRecipients.broadcastId, $("id"));
  return {
    insert: db
      .insert(broadcasts)
      .values({
        id: $("id"),
        state: $("state"),
        message: $("message"),
        messageBytes: $("messageBytes"),
        sha256: $("sha256"),
        session: $("session"),
        timeoutSec: $("timeoutSec"),
        fallback: $("fallback"),
        warnings: $("warnings"),
        confirmTokenHash: $("confirmTokenHash"),
        createdBy: $("createdBy"),
        createdAt: $("createdAt"),
        expiresAt: $("expiresAt"),
        groupTags: $("groupTags"),
      })
      .prepare(),
    insertRecipient: db
      .insert(broadcastRecipients)
      .values({
        broadcastId: $("broadcastId"),
        teammateId: $("teammateId"),
        handle: $("handle"),
        name: $("name"),
        displayName: $("displayName"),
        gatewayUrl: $("gatewayUrl"),
        skipReason: $("skipReason"),
        status: $("status"),
        attempts: 0,
        updatedAt: $("updatedAt"),
      })
      .prepare(),
    get: db.select().from(broadcasts).where(thisBroadcast).prepare(),
    list: db.select().from(broadcasts).orderBy(desc(broadcasts.createdAt), desc(sql`rowid`)).limit($("limit")).prepare(),
    recipients: db.select().from(broadcastRecipients).where(ofBroadcast).orderBy(asc(broadcastRecipients.handle)).prepare(),
    toSending: db
      .update(broadcasts)
      .set({ state: "sending", confirmedBy: set$("confirmedBy"), confirmedAt: set$("confirmedAt") })
      .where(and(thisBroadcast, eq(broadcasts.state, "awaiting_confirmation"), gt(broadcasts.expiresAt, $("now"))))
      .prepare(),
    retryToSending: db
      .update(broadcasts)
      .set({ state: "sending", completedAt: null })
      .where(and(thisBroadcast, eq(broadcasts.state, "completed")))
      .prepare(),
    cancelAwaiting: db
      .update(broadcasts)
      .set({ state: "cancelled", completedAt: set$("completedAt") })
      .where(and(thisBroadcast, inArray(broadcasts.state, ["awaiting_confirmation", "expired"])))
      .prepare(),
    expire: db
      .update(broadcasts)
      .set({ state: "expired" })
      .where(and(thisBroadcast, eq(broadcasts.state, "awaiting_confirmation"), lte(broadcasts.expiresAt, $("now"))))
      .prepare(),
    finish: db.update(broadcasts).set({ state: set$("state"), completedAt: set$("completedAt") }).where(thisBroadcast).prepare(),
    /** Takes a RecipientRow: its fields are the placeholders. */
    setRecipient: db
      .update(broadcastRecipients)
      .set({
        status: set$("status"),
        reply: set$("reply"),
        replyFullBytes: set$("replyFullBytes"),
        runId: set$("runId"),
        latencyMs: set$("latencyMs"),
        errorCode: set$("errorCode"),
        errorMessage: set$("errorMessage"),
        attempts: set$("attempts"),
        auditId: set$("auditId"),
        gatewayUrl: set$("gatewayUrl"),
        updatedAt: set$("updatedAt"),
      })
      .where(thisRecipient)
      .prepare(),
    cancelQueued: db
      .update(broadcastRecipients)
      .set({ status: "cancelled", updatedAt: set$("updatedAt") })
      .where(and(ofBroadcast, isNull(broadcastRecipients.skipReason), eq(broadcastRecipients.status, "queued")))
      .prepare(),
    interruptRecipients: db
      .update(broadcastRecipients)
      .set({ status: "interrupted", updatedAt: set$("updatedAt") })
      .where(and(ofBroadcast, isNull(broadcastRecipients.skipReason), inArray(broadcastRecipients.status, ["queued", "sending"])))
      .prepare(),
  };
}

export type BroadcastQueries = ReturnType<typeof prepareBroadcastQueries>;

/**
 * Start-up: the broadcasts the last run left sending. The condition is the partial index
 * broadcasts_sending's own, as a literal: a bound `state = ?` does not imply it (a table scan).
 */
export function sendingBroadcasts(db: Db) {
  return db.select({ id: broadcasts.id }).from(broadcasts).where(sql`${broadcasts.state} = 'sending'`);
}

export function recipientOf(r: RecipientRow): Recipient {
  return {
    handle: r.handle,
    name: r.name,
    displayName: r.displayName,
    status: r.status,
    reply: r.reply,
    replyFullBytes: r.replyFullBytes,
    runId: r.runId,
    latencyMs: r.latencyMs,
    error: r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? "" } : null,
    attempts: r.attempts,
    updatedAt: iso(r.updatedAt),
  };
}
