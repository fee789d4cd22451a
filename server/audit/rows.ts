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

const ROW_KEYS = Object.keys(auditRowColumns) as (keyof AuditRow)[];

/**
 * A row read as values (`.values()`, columns in auditRowColumns' order). No column of the table
 * decodes what it reads (integers, text, details as text), so this is drizzle's own mapping
 * without its per-field work (~5 µs a row: pages, verify and export read many); rows.test.ts
 * checks it agrees with drizzle's.
 */
export function rowOf(values: unknown[]): AuditRow {
  const r: Record<string, unknown> = {};
  for (let i = 0; i < ROW_KEYS.length; i++) r[ROW_KEYS[i]!] = values[i];
  return r as AuditRow;
}

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
