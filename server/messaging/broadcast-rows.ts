// The two broadcast tables as SQLite returns them, the statements on them, and a recipient row
// in the API's shape.
import type Database from "better-sqlite3";
import type { Recipient } from "../../shared/api/broadcasts.ts";
import type { DeliveryStatus } from "../../shared/api/messages.ts";
import { iso } from "./outcome.ts";

export interface BroadcastRow {
  id: string;
  state: string;
  message: string;
  message_bytes: number;
  sha256: string;
  session: string;
  timeout_sec: number;
  fallback: number;
  warnings: string;
  confirm_token_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  confirmed_by: string | null;
  confirmed_at: number | null;
  completed_at: number | null;
}

export interface RecipientRow {
  broadcast_id: string;
  teammate_id: number | null;
  handle: string;
  name: string;
  display_name: string | null;
  gateway_url: string | null;
  skip_reason: string | null;
  status: string;
  reply: string | null;
  reply_full_bytes: number | null;
  run_id: string | null;
  latency_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  audit_id: number | null;
  updated_at: number;
}

export function prepareBroadcastQueries(sqlite: Database.Database) {
  return {
    insert: sqlite.prepare(
      `insert into broadcasts (id, state, message, message_bytes, sha256, session, timeout_sec, fallback, warnings, confirm_token_hash, created_by, created_at, expires_at)
       values (@id, @state, @message, @message_bytes, @sha256, @session, @timeout_sec, @fallback, @warnings, @confirm_token_hash, @created_by, @created_at, @expires_at)`,
    ),
    insertRecipient: sqlite.prepare(
      `insert into broadcast_recipients (broadcast_id, teammate_id, handle, name, display_name, gateway_url, skip_reason, status, attempts, updated_at)
       values (@broadcast_id, @teammate_id, @handle, @name, @display_name, @gateway_url, @skip_reason, @status, 0, @updated_at)`,
    ),
    get: sqlite.prepare<[string], BroadcastRow>("select * from broadcasts where id = ?"),
    list: sqlite.prepare<[number], BroadcastRow>("select * from broadcasts order by created_at desc, rowid desc limit ?"),
    recipients: sqlite.prepare<[string], RecipientRow>("select * from broadcast_recipients where broadcast_id = ? order by handle"),
    toSending: sqlite.prepare(
      "update broadcasts set state = 'sending', confirmed_by = ?, confirmed_at = ? where id = ? and state = 'awaiting_confirmation' and expires_at > ?",
    ),
    retryToSending: sqlite.prepare("update broadcasts set state = 'sending', completed_at = null where id = ? and state = 'completed'"),
    cancelAwaiting: sqlite.prepare("update broadcasts set state = 'cancelled', completed_at = ? where id = ? and state in ('awaiting_confirmation', 'expired')"),
    expire: sqlite.prepare("update broadcasts set state = 'expired' where id = ? and state = 'awaiting_confirmation' and expires_at <= ?"),
    finish: sqlite.prepare("update broadcasts set state = ?, completed_at = ? where id = ?"),
    setRecipient: sqlite.prepare(
      `update broadcast_recipients set status = @status, reply = @reply, reply_full_bytes = @reply_full_bytes, run_id = @run_id, latency_ms = @latency_ms, error_code = @error_code,
         error_message = @error_message, attempts = @attempts, audit_id = @audit_id, gateway_url = @gateway_url, updated_at = @updated_at
       where broadcast_id = @broadcast_id and handle = @handle`,
    ),
    cancelQueued: sqlite.prepare(
      "update broadcast_recipients set status = 'cancelled', updated_at = ? where broadcast_id = ? and skip_reason is null and status = 'queued'",
    ),
  };
}

export type BroadcastQueries = ReturnType<typeof prepareBroadcastQueries>;

export function recipientOf(r: RecipientRow): Recipient {
  return {
    handle: r.handle,
    name: r.name,
    displayName: r.display_name,
    status: r.status as DeliveryStatus,
    reply: r.reply,
    replyFullBytes: r.reply_full_bytes,
    runId: r.run_id,
    latencyMs: r.latency_ms,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? "" } : null,
    attempts: r.attempts,
    updatedAt: iso(r.updated_at),
  };
}
