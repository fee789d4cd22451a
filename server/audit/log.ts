// The append-only, hash-chained audit trail over `audit_entries` (see chain.ts for the hashes).
import { createHash, randomBytes } from "node:crypto";
import type { z } from "zod";
import { AuditQuery as AuditQuerySchema, type AuditEntry, type AuditVerify } from "../../shared/api/audit.ts";
import type { Db } from "../db/connection.ts";
import { ApiError } from "../http/errors.ts";
import type { Vault } from "../vault/types.ts";
import { GENESIS_HASH, canonicalJson, completionHash, entryHash, type ChainedFields, type CompletionFields } from "./chain.ts";
import { csvRow } from "./csv.ts";
import { toFtsQuery } from "./fts.ts";
import type { AuditCompletion, AuditInput, AuditLog } from "./types.ts";
import { isoOrNull as iso } from "../db/time.ts";

export const AUDIT_KEY_SETTING = "audit_key";
/** settings key holding {id, hash} of the newest entry: catches entries cut off the end. */
export const AUDIT_HEAD_SETTING = "audit_head";
const EXPORT_CHUNK = 500;
const VERIFY_CHUNK = 1000;

export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditError";
  }
}

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

export interface AuditLogOptions {
  db: Db;
  vault: Pick<Vault, "sealSetting" | "openSetting">;
  /** Called after every append (the app forwards it to the event bus). */
  onAppend?: (entry: AuditEntry) => void;
  /** Called after a pending entry was completed. */
  onComplete?: (entry: AuditEntry) => void;
  now?: () => number;
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

function chained(r: AuditRow, pending: boolean): ChainedFields {
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

function completionOf(r: Pick<AuditRow, "outcome" | "run_id" | "reply" | "error_code" | "error_message" | "latency_ms" | "completed_at">): CompletionFields {
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

/** Loads the chain key (sealed in settings), creating it on first start. */
export function loadAuditKey(vault: Pick<Vault, "sealSetting" | "openSetting">): Buffer {
  const existing = vault.openSetting(AUDIT_KEY_SETTING);
  if (existing) {
    if (existing.length !== 32) throw new AuditError("The stored audit key is not 32 bytes");
    return existing;
  }
  const key = randomBytes(32);
  vault.sealSetting(AUDIT_KEY_SETTING, key);
  return key;
}

/** Parsed filters: the same for query and export. */
type ParsedQuery = z.output<typeof AuditQuerySchema>;

export function parseAuditQuery(q: unknown): ParsedQuery {
  const parsed = AuditQuerySchema.safeParse(q ?? {});
  if (!parsed.success) {
    throw new ApiError("VALIDATION_FAILED", "Invalid audit query", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })),
    });
  }
  return parsed.data;
}

export function encodeCursor(id: number): string {
  return Buffer.from(String(id), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^[1-9][0-9]{0,15}$/.test(text)) throw new ApiError("VALIDATION_FAILED", "Invalid cursor", { issues: [{ path: "cursor", message: "not a cursor from this API", code: "custom" }] });
  return Number(text);
}

function whereOf(q: ParsedQuery): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (q.teammate) {
    clauses.push("teammate = ?");
    params.push(q.teammate.trim().toLowerCase());
  }
  if (q.actor) {
    clauses.push("actor = ?");
    params.push(q.actor);
  }
  if (q.kind?.length) {
    clauses.push(`kind in (${q.kind.map(() => "?").join(",")})`);
    params.push(...q.kind);
  }
  if (q.outcome?.length) {
    clauses.push(`outcome in (${q.outcome.map(() => "?").join(",")})`);
    params.push(...q.outcome);
  }
  if (q.from) {
    clauses.push("at >= ?");
    params.push(Date.parse(q.from));
  }
  if (q.to) {
    clauses.push("at <= ?");
    params.push(Date.parse(q.to));
  }
  if (q.broadcastId) {
    clauses.push("broadcast_id = ?");
    params.push(q.broadcastId);
  }
  if (q.messageId) {
    clauses.push("message_id = ?");
    params.push(q.messageId);
  }
  if (q.q !== undefined) {
    const fts = toFtsQuery(q.q);
    if (fts) {
      clauses.push("id in (select rowid from audit_fts where audit_fts match ?)");
      params.push(fts);
    }
  }
  return { sql: clauses.length ? clauses.join(" and ") : "1=1", params };
}

const CSV_COLUMNS = [
  "id",
  "at",
  "actor",
  "kind",
  "teammate",
  "gatewayUrl",
  "session",
  "runId",
  "message",
  "messageBytes",
  "messageSha256",
  "reply",
  "outcome",
  "errorCode",
  "errorMessage",
  "latencyMs",
  "broadcastId",
  "messageId",
  "details",
  "completedAt",
  "hash",
] as const satisfies readonly (keyof AuditEntry)[];

export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const sql = opts.db.$client;
  const now = opts.now ?? Date.now;
  const key = loadAuditKey(opts.vault);

  const stmts = {
    last: sql.prepare("select id, hash from audit_entries order by id desc limit 1"),
    insert: sql.prepare(
      `insert into audit_entries(id, at, actor, kind, teammate, gateway_url, session, message, message_bytes, message_sha256,
        broadcast_id, message_id, details, prev_hash, hash, outcome, run_id, reply, error_code, error_message, latency_ms,
        completed_at, completion_hash)
       values (@id, @at, @actor, @kind, @teammate, @gateway_url, @session, @message, @message_bytes, @message_sha256,
        @broadcast_id, @message_id, @details, @prev_hash, @hash, @outcome, @run_id, @reply, @error_code, @error_message,
        @latency_ms, @completed_at, @completion_hash)`,
    ),
    get: sql.prepare("select * from audit_entries where id = ?"),
    complete: sql.prepare(
      `update audit_entries set outcome = @outcome, run_id = @run_id, reply = @reply, error_code = @error_code,
        error_message = @error_message, latency_ms = @latency_ms, completed_at = @completed_at, completion_hash = @completion_hash
       where id = @id and outcome = 'pending'`,
    ),
    // a 'pending' row that carries completion evidence was completed once and reverted: never reseal it
    pendingIds: sql.prepare("select id from audit_entries where outcome = 'pending' and completion_hash is null and completed_at is null order by id"),
    setHead: sql.prepare(
      "insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at",
    ),
    getHead: sql.prepare("select value from settings where key = ?"),
    chunk: sql.prepare("select * from audit_entries where id > ? order by id limit ?"),
  };

  const appendTx = sql.transaction((input: AuditInput): AuditRow => {
    const last = stmts.last.get() as { id: number; hash: string } | undefined;
    const at = now();
    const pending = input.outcome === "pending";
    const message = input.message ?? null;
    const row: AuditRow = {
      id: (last?.id ?? 0) + 1,
      at,
      actor: input.actor,
      kind: input.kind,
      teammate: input.teammate ?? null,
      gateway_url: input.gatewayUrl ?? null,
      session: input.session ?? null,
      message,
      message_bytes: message === null ? null : Buffer.byteLength(message, "utf8"),
      message_sha256: message === null ? null : createHash("sha256").update(message, "utf8").digest("hex"),
      broadcast_id: input.broadcastId ?? null,
      message_id: input.messageId ?? null,
      details: input.details == null ? null : canonicalJson(input.details),
      prev_hash: last?.hash ?? GENESIS_HASH,
      hash: "",
      outcome: input.outcome,
      run_id: pending ? null : (input.runId ?? null),
      reply: pending ? null : (input.reply ?? null),
      error_code: pending ? null : (input.errorCode ?? null),
      error_message: pending ? null : (input.errorMessage ?? null),
      latency_ms: pending ? null : (input.latencyMs ?? null),
      completed_at: pending ? null : at,
      completion_hash: null,
    };
    row.hash = entryHash(key, row.prev_hash, chained(row, pending));
    if (!pending) row.completion_hash = completionHash(key, row.hash, completionOf(row));
    stmts.insert.run(row);
    stmts.setHead.run(AUDIT_HEAD_SETTING, JSON.stringify({ id: row.id, hash: row.hash }), at);
    return row;
  });

  const completeTx = sql.transaction((id: number, c: AuditCompletion): AuditRow => {
    const row = stmts.get.get(id) as AuditRow | undefined;
    if (!row) throw new AuditError(`Audit entry ${id} does not exist`);
    if (row.outcome !== "pending") throw new AuditError(`Audit entry ${id} is already completed (${row.outcome})`);
    if (row.completion_hash !== null || row.completed_at !== null) throw new AuditError(`Audit entry ${id} was completed before and reverted to pending`);
    const done: AuditRow = {
      ...row,
      outcome: c.outcome,
      run_id: c.runId ?? null,
      reply: c.reply ?? null,
      error_code: c.errorCode ?? null,
      error_message: c.errorMessage ?? null,
      latency_ms: c.latencyMs ?? null,
      completed_at: now(),
    };
    done.completion_hash = completionHash(key, row.hash, completionOf(done));
    const res = stmts.complete.run({
      id,
      outcome: done.outcome,
      run_id: done.run_id,
      reply: done.reply,
      error_code: done.error_code,
      error_message: done.error_message,
      latency_ms: done.latency_ms,
      completed_at: done.completed_at,
      completion_hash: done.completion_hash,
    });
    if (res.changes !== 1) throw new AuditError(`Audit entry ${id} could not be completed`);
    return done;
  });

  function* rowsAfter(where: { sql: string; params: unknown[] }): Generator<AuditRow[]> {
    const stmt = sql.prepare(`select * from audit_entries where id > ? and (${where.sql}) order by id limit ${EXPORT_CHUNK}`);
    let after = 0;
    for (;;) {
      const rows = stmt.all(after, ...where.params) as AuditRow[];
      if (!rows.length) return;
      yield rows;
      after = (rows[rows.length - 1] as AuditRow).id;
      if (rows.length < EXPORT_CHUNK) return;
    }
  }

  const log: AuditLog = {
    append(input) {
      const entry = toEntry(appendTx.immediate(input));
      opts.onAppend?.(entry);
      return entry;
    },
    complete(id, completion) {
      if (completion.outcome === ("pending" as string)) throw new AuditError("A completion cannot be 'pending'");
      const entry = toEntry(completeTx.immediate(id, completion));
      opts.onComplete?.(entry);
      return entry;
    },
    interruptPending() {
      const ids = (stmts.pendingIds.all() as { id: number }[]).map((r) => r.id);
      for (const id of ids) {
        const entry = toEntry(
          completeTx.immediate(id, { outcome: "interrupted", errorCode: "SHUTTING_DOWN", errorMessage: "The server stopped before this entry completed" }),
        );
        opts.onComplete?.(entry);
      }
      return ids.length;
    },
    get(id) {
      const row = stmts.get.get(id) as AuditRow | undefined;
      return row ? toEntry(row) : null;
    },
    query(input) {
      const q = parseAuditQuery(input);
      const where = whereOf(q);
      const params = [...where.params];
      let cond = where.sql;
      if (q.cursor) {
        cond = `(${cond}) and id < ?`;
        params.push(decodeCursor(q.cursor));
      }
      let rows: AuditRow[];
      try {
        rows = sql.prepare(`select * from audit_entries where ${cond} order by id desc limit ?`).all(...params, q.limit + 1) as AuditRow[];
      } catch (err) {
        // the FTS query is sanitised, so this should not happen; never a 500 for a search, though
        if (q.q !== undefined && err instanceof Error && ((err as { code?: unknown }).code === "SQLITE_ERROR" || /fts5|match/i.test(err.message))) {
          throw new ApiError("VALIDATION_FAILED", "The search text could not be used", { issues: [{ path: "q", message: err.message, code: "custom" }] });
        }
        throw err;
      }
      const more = rows.length > q.limit;
      const page = more ? rows.slice(0, q.limit) : rows;
      const last = page[page.length - 1];
      return { items: page.map(toEntry), nextCursor: more && last ? encodeCursor(last.id) : null };
    },
    async *export(input, format) {
      const q = parseAuditQuery(input);
      const where = whereOf(q);
      if (format === "csv") yield csvRow(CSV_COLUMNS);
      for (const rows of rowsAfter(where)) {
        let chunk = "";
        for (const r of rows) {
          const e = toEntry(r);
          chunk += format === "csv" ? csvRow(CSV_COLUMNS.map((c) => e[c])) : `${JSON.stringify(e)}\n`;
        }
        yield chunk;
      }
    },
    verify(): AuditVerify {
      let expectedPrev = GENESIS_HASH;
      let expectedId = 1;
      let checked = 0;
      const broken = (id: number, reason: string): AuditVerify => ({ ok: false, checked, firstBrokenId: id, reason });
      let after = 0;
      let last: AuditRow | undefined;
      for (;;) {
        const rows = stmts.chunk.all(after, VERIFY_CHUNK) as AuditRow[];
        for (const r of rows) {
          if (r.prev_hash !== expectedPrev) {
            return broken(r.id, `Entry ${r.id} does not follow the entry before it: an entry was removed, inserted or re-hashed before it`);
          }
          if (r.id !== expectedId) {
            return broken(r.id, `Entry ${r.id} follows entry ${expectedId - 1}: ${r.id - expectedId} entr${r.id - expectedId === 1 ? "y is" : "ies are"} missing`);
          }
          const pending = r.outcome === "pending";
          // pending entries were hashed as pending; a final entry either was appended final or completed later
          const hashOk =
            entryHash(key, r.prev_hash, chained(r, true)) === r.hash || (!pending && entryHash(key, r.prev_hash, chained(r, false)) === r.hash);
          if (!hashOk) {
            return broken(r.id, `Entry ${r.id} was altered (its recorded fields no longer match its hash)`);
          }
          if (pending) {
            if (r.completion_hash !== null || r.run_id !== null || r.reply !== null || r.completed_at !== null || r.error_code !== null) {
              return broken(r.id, `Entry ${r.id} is pending but carries completion fields`);
            }
          } else if (r.completion_hash === null || completionHash(key, r.hash, completionOf(r)) !== r.completion_hash) {
            return broken(r.id, `Entry ${r.id} was altered after completion (outcome, reply or error no longer match)`);
          }
          expectedPrev = r.hash;
          expectedId = r.id + 1;
          checked++;
          last = r;
        }
        if (rows.length < VERIFY_CHUNK) break;
        after = (rows[rows.length - 1] as AuditRow).id;
      }
      const headRow = stmts.getHead.get(AUDIT_HEAD_SETTING) as { value: string } | undefined;
      if (headRow) {
        const head = JSON.parse(headRow.value) as { id: number; hash: string };
        if (!last || last.id !== head.id || last.hash !== head.hash) {
          const id = last ? last.id + 1 : 1;
          return broken(id, `The trail ends at entry ${last?.id ?? 0} but the newest entry written was ${head.id}: entries were removed from the end`);
        }
      }
      return { ok: true, checked, firstBrokenId: null, reason: null };
    },
  };
  return log;
}
