// The row shape of `audit_entries` and the views of it that the hashes cover.
import type { AuditEntry } from "../../shared/api/audit.ts";
import { getTableColumns, sql } from "../db/drizzle.ts";
import { auditEntries } from "../db/schema.ts";
import { isoOrNull as iso } from "../db/time.ts";
import type { ChainedFields, CompletionFields } from "./chain.ts";

/**
 * A row as stored. `details` is its stored JSON text, not the parsed value the json column would
 * give: the chain hashes that text byte for byte (see chain.ts), so it is read and written as is.
 */
export type AuditRow = Omit<typeof auditEntries.$inferSelect, "details"> & { details: string | null };

/** Every column of `audit_entries` for a select, `details` as its stored text (see AuditRow). */
export const auditRowColumns = { ...getTableColumns(auditEntries), details: sql<string | null>`${auditEntries.details}` };

/**
 * A row read as values (`.values()`, columns in auditRowColumns' order). No column of the table
 * decodes what it reads (integers, text, details as text), so this is drizzle's own mapping
 * without its per-field work (pages, verify and export read many rows); one object literal, so
 * every row gets the same shape. rows.test.ts checks it agrees with drizzle's mapping.
 */
export function rowOf(v: unknown[]): AuditRow {
  return {
    id: v[0],
    at: v[1],
    actor: v[2],
    kind: v[3],
    teammate: v[4],
    gatewayUrl: v[5],
    session: v[6],
    message: v[7],
    messageBytes: v[8],
    messageSha256: v[9],
    broadcastId: v[10],
    messageId: v[11],
    details: v[12],
    prevHash: v[13],
    hash: v[14],
    outcome: v[15],
    runId: v[16],
    reply: v[17],
    errorCode: v[18],
    errorMessage: v[19],
    latencyMs: v[20],
    completedAt: v[21],
    completionHash: v[22],
  } as AuditRow;
}
const ROW_ORDER = ["id", "at", "actor", "kind", "teammate", "gatewayUrl", "session", "message", "messageBytes", "messageSha256", "broadcastId", "messageId", "details", "prevHash", "hash", "outcome", "runId", "reply", "errorCode", "errorMessage", "latencyMs", "completedAt", "completionHash"];
if (Object.keys(auditRowColumns).join() !== ROW_ORDER.join()) throw new Error("rowOf does not follow the columns of audit_entries (server/db/schema.ts)");

export function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    kind: r.kind as AuditEntry["kind"],
    teammate: r.teammate,
    gatewayUrl: r.gatewayUrl,
    session: r.session,
    runId: r.runId,
    message: r.message,
    messageBytes: r.messageBytes,
    messageSha256: r.messageSha256,
    reply: r.reply,
    outcome: r.outcome as AuditEntry["outcome"],
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    latencyMs: r.latencyMs,
    broadcastId: r.broadcastId,
    messageId: r.messageId,
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    completedAt: iso(r.completedAt),
    hash: r.hash,
  };
}

export function chained(r: AuditRow, pending: boolean): ChainedFields {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    kind: r.kind,
    teammate: r.teammate,
    gatewayUrl: r.gatewayUrl,
    session: r.session,
    message: r.message,
    messageBytes: r.messageBytes,
    messageSha256: r.messageSha256,
    broadcastId: r.broadcastId,
    messageId: r.messageId,
    details: r.details,
    pending,
  };
}

export function completionOf(r: Pick<AuditRow, "outcome" | "runId" | "reply" | "errorCode" | "errorMessage" | "latencyMs" | "completedAt">): CompletionFields {
  return {
    outcome: r.outcome,
    runId: r.runId,
    reply: r.reply,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    latencyMs: r.latencyMs,
    completedAt: r.completedAt,
  };
}
