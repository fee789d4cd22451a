// The append-only, hash-chained audit trail over `audit_entries` (see chain.ts for the hashes).
import { createHash, createSecretKey, randomBytes } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { z } from "zod";
import { AuditQuery as AuditQuerySchema, type AuditEntry, type AuditVerifyProgress } from "../../shared/api/audit.ts";
import type { Db } from "../db/connection.ts";
import { writeBatchOf } from "../db/write-batch.ts";
import { ApiError } from "../errors.ts";
import type { Vault } from "../vault/types.ts";
import { loadAnchorSigner } from "./anchor.ts";
import { GENESIS_HASH, canonicalJson, completionHash, entryHash } from "./chain.ts";
import { csvRow } from "./csv.ts";
import { toFtsQuery } from "./fts.ts";
import { DATA_PRESENT_SQL, checkedHead, parseHead, serializeHead, type Head } from "./head.ts";
import { chained, completionOf, toEntry, type AuditRow } from "./rows.ts";
import type { AuditCompletion, AuditInput, AuditLog } from "./types.ts";
import { openSnapshot } from "./snapshot.ts";
import { createVerifyRunner } from "./verify.ts";

export const AUDIT_KEY_SETTING = "audit_key";
/** settings key holding the MAC'd head (see head.ts): catches entries cut off the end, emptying, reverts. */
export const AUDIT_HEAD_SETTING = "audit_head";
const EXPORT_CHUNK = 500;
/** An export yields to the event loop whenever it has run this long. */
const EXPORT_SLICE_MS = 8;

export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditError";
  }
}

export interface AuditLogOptions {
  db: Db;
  vault: Pick<Vault, "sealSetting" | "openSetting">;
  /** Called after every append (the app forwards it to the event bus). */
  onAppend?: (entry: AuditEntry) => void;
  /** Called after a pending entry was completed. */
  onComplete?: (entry: AuditEntry) => void;
  /** Called while a verify runs (at most every 250 ms) and when it starts and ends. */
  onVerifyProgress?: (progress: AuditVerifyProgress) => void;
  /** Called once when writing found the trail tampered with (the anomaly is then kept in the head). */
  onAnomaly?: (reason: string) => void;
  now?: () => number;
}


/**
 * Loads the chain key (sealed in settings), creating it on first start. The sealed value also
 * says whether this trail's head carries a MAC yet (a version byte before the key): once it
 * does, a head in the old format is a downgrade, not an upgrade. Tampering with that byte
 * means breaking the vault's seal.
 */
export function loadAuditKey(vault: Pick<Vault, "sealSetting" | "openSetting">): { key: Buffer; macHead: boolean; markMacHead(): void } {
  const existing = vault.openSetting(AUDIT_KEY_SETTING);
  const marked = (key: Buffer) => ({ key, macHead: true, markMacHead: () => undefined });
  if (existing) {
    if (existing.length === 33 && existing[0] === KEY_FORMAT_MAC_HEAD) return marked(existing.subarray(1));
    if (existing.length !== 32) throw new AuditError("The stored audit key is not 32 bytes");
    return { key: existing, macHead: false, markMacHead: () => vault.sealSetting(AUDIT_KEY_SETTING, Buffer.concat([Buffer.of(KEY_FORMAT_MAC_HEAD), existing])) };
  }
  const key = randomBytes(32);
  vault.sealSetting(AUDIT_KEY_SETTING, Buffer.concat([Buffer.of(KEY_FORMAT_MAC_HEAD), key]));
  return marked(key);
}
const KEY_FORMAT_MAC_HEAD = 2;

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

/** The filters as SQL over `audit_entries e`; full-text search is kept apart (see selectFrom). */
interface Where {
  sql: string;
  params: unknown[];
  /** The sanitised FTS5 query, when searching. */
  fts: string | null;
}

/**
 * Filters → SQL. A time range becomes an id range first: `at` never decreases with the id (the
 * log makes it so), so the page is read along the primary key or an (x, id) index and costs
 * the page, not the number of entries in the range. The `at` test stays as well (`+at`: a
 * filter, never the index the planner picks), so the answer is exact even where old entries
 * written before that rule went back in time.
 */
function whereOf(q: ParsedQuery, idBounds: (from: number | null, to: number | null) => { lo: number; hi: number } | null): Where {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (q.teammate) {
    clauses.push("e.teammate = ?");
    params.push(q.teammate.trim().toLowerCase());
  }
  if (q.actor) {
    clauses.push("e.actor = ?");
    params.push(q.actor);
  }
  if (q.kind?.length) {
    clauses.push(`e.kind in (${q.kind.map(() => "?").join(",")})`);
    params.push(...q.kind);
  }
  if (q.outcome?.length) {
    clauses.push(`e.outcome in (${q.outcome.map(() => "?").join(",")})`);
    params.push(...q.outcome);
  }
  if (q.from || q.to) {
    const from = q.from ? Date.parse(q.from) : null;
    const to = q.to ? Date.parse(q.to) : null;
    const bounds = idBounds(from, to);
    if (!bounds) clauses.push("0");
    else {
      clauses.push("e.id between ? and ?");
      params.push(bounds.lo, bounds.hi);
    }
    if (from !== null) {
      clauses.push("+e.at >= ?");
      params.push(from);
    }
    if (to !== null) {
      clauses.push("+e.at <= ?");
      params.push(to);
    }
  }
  if (q.broadcastId) {
    clauses.push("e.broadcast_id = ?");
    params.push(q.broadcastId);
  }
  if (q.messageId) {
    clauses.push("e.message_id = ?");
    params.push(q.messageId);
  }
  const fts = q.q === undefined ? null : toFtsQuery(q.q) || null;
  return { sql: clauses.length ? clauses.join(" and ") : "1=1", params, fts };
}

/**
 * `select e.* …` for the filters, in id order. A search reads the FTS index in rowid order and
 * joins each hit, so a page stops after `limit` hits instead of collecting every match first.
 */
function selectFrom(w: Where, order: "asc" | "desc", extra = ""): { sql: string; params: unknown[] } {
  if (w.fts === null) {
    return { sql: `select e.* from audit_entries e where (${w.sql})${extra ? ` and ${extra.replaceAll("$id", "e.id")}` : ""} order by e.id ${order}`, params: w.params };
  }
  return {
    sql:
      `select e.* from audit_fts f join audit_entries e on e.id = f.rowid where audit_fts match ? and (${w.sql})` +
      `${extra ? ` and ${extra.replaceAll("$id", "f.rowid")}` : ""} order by f.rowid ${order}`,
    params: [w.fts, ...w.params],
  };
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
  const writes = writeBatchOf(sql);
  const now = opts.now ?? Date.now;
  const keyInfo = loadAuditKey(opts.vault);
  const key = createSecretKey(keyInfo.key); // set up once: see AuditKey
  let macHead = keyInfo.macHead;
  const signer = loadAnchorSigner(opts.vault);

  const stmts = {
    last: sql.prepare("select id, hash, at from audit_entries order by id desc limit 1"),
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
    pendingCount: sql.prepare("select count(*) as n from audit_entries where outcome = 'pending'"),
    // a 'pending' row that carries completion evidence was completed once and reverted: never reseal it
    pendingIds: sql.prepare("select id from audit_entries where outcome = 'pending' and completion_hash is null and completed_at is null order by id"),
    setHead: sql.prepare(
      "insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at",
    ),
    getHead: sql.prepare("select value from settings where key = ?"),
    firstFrom: sql.prepare("select id from audit_entries where at >= ? order by at, id limit 1"),
    lastTo: sql.prepare("select id from audit_entries where at <= ? order by at desc, id desc limit 1"),
    maxId: sql.prepare("select coalesce(max(id), 0) as n from audit_entries"),
    hasData: sql.prepare(DATA_PRESENT_SQL),
  };

  /** The ids a time range spans (`at` never decreases with the id), or null when it holds none. */
  const idBounds = (from: number | null, to: number | null): { lo: number; hi: number } | null => {
    const lo = from === null ? 1 : (stmts.firstFrom.get(from) as { id: number } | undefined)?.id;
    const hi = to === null ? (stmts.maxId.get() as { n: number }).n : (stmts.lastTo.get(to) as { id: number } | undefined)?.id;
    return lo === undefined || hi === undefined || hi < lo ? null : { lo, hi };
  };
  const tableEnd = () => (stmts.last.get() as { id: number; hash: string; at: number } | undefined) ?? { id: 0, hash: GENESIS_HASH, at: 0 };
  /** The stored head checked against the table's end; anything found is kept in it from now on. */
  const currentHead = (end = tableEnd()): Head => {
    const value = (stmts.getHead.get(AUDIT_HEAD_SETTING) as { value: string } | undefined)?.value;
    let read = parseHead(key, value);
    // an old-format head after this trail's heads got a MAC: someone wrote it without the key
    if (read.state === "legacy" && macHead) read = { state: "forged" };
    const head = checkedHead(
      read,
      { id: end.id, hash: end.hash },
      () => (stmts.pendingCount.get() as { n: number }).n,
      () => (stmts.hasData.get() as { d: number }).d === 1,
    );
    const before = read.state === "ok" ? read.head.anomaly : null;
    if (head.anomaly && head.anomaly !== before) opts.onAnomaly?.(head.anomaly);
    return head;
  };
  const writeHead = (h: Head) => stmts.setHead.run(AUDIT_HEAD_SETTING, serializeHead(key, h), now());

  // At start: a trail with no head gets one now (fresh, upgraded, or carrying what was found).
  sql.transaction(() => {
    const value = (stmts.getHead.get(AUDIT_HEAD_SETTING) as { value: string } | undefined)?.value;
    if (parseHead(key, value).state !== "ok") writeHead(currentHead());
    keyInfo.markMacHead();
  }).immediate();
  macHead = true;

  const appendTx = sql.transaction((input: AuditInput): AuditRow => {
    const end = tableEnd();
    const head = currentHead(end); // its id and hash are the end's
    // never before the entry it follows (a clock stepped back): time order is id order, which
    // keeps time-range queries on the primary key (see whereOf)
    const at = Math.max(now(), end.at);
    const pending = input.outcome === "pending";
    const message = input.message ?? null;
    const row: AuditRow = {
      id: head.id + 1,
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
      prev_hash: head.hash,
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
    writeHead({ id: row.id, hash: row.hash, pending: head.pending + (pending ? 1 : 0), anomaly: head.anomaly });
    return row;
  });

  const completeTx = sql.transaction((id: number, c: AuditCompletion): AuditRow => {
    const row = stmts.get.get(id) as AuditRow | undefined;
    if (!row) throw new AuditError(`Audit entry ${id} does not exist`);
    if (row.outcome !== "pending") throw new AuditError(`Audit entry ${id} is already completed (${row.outcome})`);
    if (row.completion_hash !== null || row.completed_at !== null) throw new AuditError(`Audit entry ${id} was completed before and reverted to pending`);
    const head = currentHead();
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
    writeHead({ ...head, pending: Math.max(0, head.pending - 1) });
    return done;
  });

  /**
   * Which pending entries start-up may seal as interrupted: only when the head's pending count
   * agrees with the table, since a completed entry turned back into pending (its completion
   * wiped) looks exactly like one that never completed. On disagreement none is resealed and
   * the head keeps the anomaly; verify reports it.
   */
  const resealableTx = sql.transaction((): number[] => {
    const head = currentHead();
    const inTable = (stmts.pendingCount.get() as { n: number }).n;
    const ids = (stmts.pendingIds.all() as { id: number }[]).map((r) => r.id);
    if (inTable !== head.pending || ids.length !== inTable) {
      const anomaly =
        head.anomaly ??
        `${inTable} entries were pending at start-up but the head records ${head.pending}: ${inTable > head.pending ? "a completed entry was turned back into pending" : "a pending entry was removed or completed without the key"}; none was sealed as interrupted`;
      if (anomaly !== head.anomaly) opts.onAnomaly?.(anomaly);
      writeHead({ ...head, anomaly });
      return [];
    }
    writeHead(head);
    return ids;
  });

  const verifier = createVerifyRunner({ open: () => openSnapshot(sql), key, headSetting: AUDIT_HEAD_SETTING }, signer, opts.onVerifyProgress);

  /** Export rows on one cursor over one snapshot, yielding to the event loop between slices. */
  async function* exportRows(where: Where): AsyncGenerator<AuditRow[]> {
    const { db, end } = openSnapshot(sql);
    try {
      const select = selectFrom(where, "asc");
      const rows = db.prepare(select.sql).iterate(...select.params) as IterableIterator<AuditRow>;
      try {
        let batch: AuditRow[] = [];
        let slice = performance.now();
        for (const r of rows) {
          batch.push(r);
          if (batch.length < EXPORT_CHUNK) continue;
          yield batch;
          batch = [];
          if (performance.now() - slice >= EXPORT_SLICE_MS) {
            await yieldToLoop();
            slice = performance.now();
          }
        }
        if (batch.length) yield batch;
      } finally {
        rows.return?.();
      }
    } finally {
      end();
    }
  }

  const log: AuditLog = {
    append(input) {
      writes.join();
      const entry = toEntry(appendTx.immediate(input));
      opts.onAppend?.(entry);
      return entry;
    },
    complete(id, completion) {
      if (completion.outcome === ("pending" as string)) throw new AuditError("A completion cannot be 'pending'");
      writes.join();
      const entry = toEntry(completeTx.immediate(id, completion));
      opts.onComplete?.(entry);
      return entry;
    },
    durable: () => writes.durable(),
    interruptPending() {
      const ids = resealableTx.immediate();
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
      const where = whereOf(q, idBounds);
      const cursor = q.cursor ? decodeCursor(q.cursor) : null;
      const { sql: text, params } = selectFrom(where, "desc", cursor === null ? "" : "$id < ?");
      let rows: AuditRow[];
      try {
        rows = sql.prepare(`${text} limit ?`).all(...params, ...(cursor === null ? [] : [cursor]), q.limit + 1) as AuditRow[];
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
      const where = whereOf(q, idBounds);
      if (format === "csv") yield csvRow(CSV_COLUMNS);
      for await (const rows of exportRows(where)) {
        let chunk = "";
        for (const r of rows) {
          const e = toEntry(r);
          chunk += format === "csv" ? csvRow(CSV_COLUMNS.map((c) => e[c])) : `${JSON.stringify(e)}\n`;
        }
        yield chunk;
      }
    },
    verify: (anchor) => verifier.run(anchor),
    verifyProgress: () => verifier.progress(),
    anchor() {
      const end = tableEnd();
      return signer.sign(end.id, end.hash, new Date(now()));
    },
  };
  return log;
}
