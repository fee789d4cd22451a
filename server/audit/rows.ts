// The row shape of `audit_entries` and the views of it that the hashes cover.
import type { AuditEntry } from "../../shared/api/audit.ts";
import { isoOrNull as iso } from "../db/time.ts";
import type { ChainedFields, CompletionFields } from "./chain.ts";

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  kind: string;
  teammate: string | null;
  gateway_url: string | null;
  session: string | null;
  message: string | null;
  message_bytes: number | null;
  message_sha256: string | null;
  broadcast_id: string | null;
  message_id: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
  outcome: string;
  run_id: string | null;
  reply: string | null;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number | null;
  completed_at: number | null;
  completion_hash: string | null;
}

export function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    kind: r.kind as AuditEntry["kind"],
    teammate: r.teammate,
    gatewayUrl: r.gateway_url,
    session: r.session,
    runId: r.run_id,
    message: r.message,
    messageBytes: r.message_bytes,
    messageSha256: r.message_sha256,
    reply: r.reply,
    outcome: r.outcome as AuditEntry["outcome"],
    errorCode: r.error_code,
    errorMessage: r.error_message,
    latencyMs: r.latency_ms,
    broadcastId: r.broadcast_id,
    messageId: r.message_id,
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    completedAt: iso(r.completed_at),
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
    gatewayUrl: r.gateway_url,
    session: r.session,
    message: r.message,
    messageBytes: r.message_bytes,
    messageSha256: r.message_sha256,
    broadcastId: r.broadcast_id,
    messageId: r.message_id,
    details: r.details,
    pending,
  };
}

export function completionOf(r: Pick<AuditRow, "outcome" | "run_id" | "reply" | "error_code" | "error_message" | "latency_ms" | "completed_at">): CompletionFields {
  return {
    outcome: r.outcome,
    runId: r.run_id,
    reply: r.reply,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    latencyMs: r.latency_ms,
    completedAt: r.completed_at,
  };
}
