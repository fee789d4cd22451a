// The append-only, hash-chained audit trail over `audit_entries` (see chain.ts for the hashes).
import { createHash, createSecretKey, randomBytes } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { z } from "zod";
import { AuditQuery as AuditQuerySchema, type AuditEntry, type AuditVerifyProgress } from "../../shared/api/audit.ts";
import type { Db } from "../db/connection.ts";
import { and, asc, between, count, desc, eq, gte, inArray, isNull, lt, lte, max, setPlaceholder as set$, sql, type SQL } from "../db/drizzle.ts";
import { auditEntries as e, settings } from "../db/schema.ts";
import { writeBatchOf } from "../db/write-batch.ts";
import { ApiError } from "../errors.ts";
import type { Vault } from "../vault/types.ts";
import { loadAnchorSigner } from "./anchor.ts";
import { GENESIS_HASH, canonicalJson, completionHash, entryHash } from "./chain.ts";
import { csvRow } from "./csv.ts";
import { auditFts, toFtsQuery } from "./fts.ts";
import { checkedHead, dataPresent, parseHead, serializeHead, type Head } from "./head.ts";
import { auditRowColumns, chained, completionOf, toEntry, type AuditRow } from "./rows.ts";
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

/** The filters as conditions on `audit_entries`; full-text search is kept apart (see selectFrom). */
interface Where {
  /** null: the filters cannot match anything (a time range that holds no entry). */
  conditions: SQL[] | null;
  /** The sanitised FTS5 query, when searching. */
  fts: string | null;
}

/**
 * Filters → conditions. A time range becomes an id range first: `at` never decreases with the id
 * (the log makes it so), so the page is read along the primary key or an (x, id) index and costs
 * the page, not the number of entries in the range. The `at` test stays as well (`+at`: a
 * filter, never the index the planner picks), so the answer is exact even where old entries
 * written before that rule went back in time.
 */
function whereOf(q: ParsedQuery, idBounds: (from: number | null, to: number | null) => { lo: number; hi: number } | null): Where {
  const fts = q.q === undefined ? null : toFtsQuery(q.q) || null;
  const c: SQL[] = [];
  if (q.teammate) c.push(eq(e.teammate, q.teammate.trim().toLowerCase()));
  if (q.actor) c.push(eq(e.actor, q.actor));
  if (q.kind?.length) c.push(inArray(e.kind, q.kind));
  if (q.outcome?.length) c.push(inArray(e.outcome, q.outcome));
  if (q.from || q.to) {
    const from = q.from ? Date.parse(q.from) : null;
    const to = q.to ? Date.parse(q.to) : null;
    const bounds = idBounds(from, to);
    if (!bounds) return { conditions: null, fts };
    c.push(between(e.id, bounds.lo, bounds.hi));
    // unary plus: SQLite's way of keeping a term out of index selection (see above)
    if (from !== null) c.push(sql`+${e.at} >= ${from}`);
    if (to !== null) c.push(sql`+${e.at} <= ${to}`);
  }
  if (q.broadcastId) c.push(eq(e.broadcastId, q.broadcastId));
  if (q.messageId) c.push(eq(e.messageId, q.messageId));
  return { conditions: c, fts };
}

/**
 * The rows for the filters in id order, ids below `before` when given. A search reads the FTS
 * index in rowid order and joins each hit, so a page stops after `limit` hits instead of
 * collecting every match first.
 */
function selectFrom(db: Db, conditions: SQL[], fts: string | null, order: "asc" | "desc", before: number | null = null) {
  const by = order === "asc" ? asc : desc;
  if (fts === null) {
    return db
      .select(auditRowColumns)
      .from(e)
      .where(and(...conditions, before === null ? undefined : lt(e.id, before)))
      .orderBy(by(e.id));
  }
  return db
    .select(auditRowColumns)
    .from(auditFts)
    .innerJoin(e, eq(e.id, auditFts.rowid))
    .where(and(sql`${auditFts} match ${fts}`, ...conditions, before === null ? undefined : lt(auditFts.rowid, before)))
    .orderBy(by(auditFts.rowid));
}

/** The keys of an audit row in the order selectFrom selects them (for rows read as arrays). */
const ROW_KEYS = Object.keys(auditRowColumns) as (keyof AuditRow)[];

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
  const db = opts.db;
  const client = db.$client;
  const writes = writeBatchOf(client);
  const now = opts.now ?? Date.now;
  const keyInfo = loadAuditKey(opts.vault);
  const key = createSecretKey(keyInfo.key); // set up once: see AuditKey
  let macHead = keyInfo.macHead;
  const signer = loadAnchorSigner(opts.vault);

  const $ = sql.placeholder;
  const stmts = {
    last: db.select({ id: e.id, hash: e.hash, at: e.at }).from(e).orderBy(desc(e.id)).limit(1).prepare(),
    insert: db
      .insert(e)
      .values({
        id: $("id"),
        at: $("at"),
        actor: $("actor"),
        kind: $("kind"),
        teammate: $("teammate"),
        gatewayUrl: $("gatewayUrl"),
        session: $("session"),
        message: $("message"),
        messageBytes: $("messageBytes"),
        messageSha256: $("messageSha256"),
        broadcastId: $("broadcastId"),
        messageId: $("messageId"),
        details: set$("details"), // the canonical JSON text, bound as is (see AuditRow)
        prevHash: $("prevHash"),
        hash: $("hash"),
        outcome: $("outcome"),
        runId: $("runId"),
        reply: $("reply"),
        errorCode: $("errorCode"),
        errorMessage: $("errorMessage"),
        latencyMs: $("latencyMs"),
        completedAt: $("completedAt"),
        completionHash: $("completionHash"),
      })
      .prepare(),
    get: db.select(auditRowColumns).from(e).where(eq(e.id, $("id"))).prepare(),
    complete: db
      .update(e)
      .set({
        outcome: set$("outcome"),
        runId: set$("runId"),
        reply: set$("reply"),
        errorCode: set$("errorCode"),
        errorMessage: set$("errorMessage"),
        latencyMs: set$("latencyMs"),
        completedAt: set$("completedAt"),
        completionHash: set$("completionHash"),
      })
      .where(and(eq(e.id, $("id")), eq(e.outcome, "pending")))
      .prepare(),
    pendingCount: db.select({ n: count() }).from(e).where(eq(e.outcome, "pending")).prepare(),
    // a 'pending' row that carries completion evidence was completed once and reverted: never reseal it
    pendingIds: db
      .select({ id: e.id })
      .from(e)
      .where(and(eq(e.outcome, "pending"), isNull(e.completionHash), isNull(e.completedAt)))
      .orderBy(asc(e.id))
      .prepare(),
    setHead: db
      .insert(settings)
      .values({ key: $("key"), value: $("value"), updatedAt: $("t") })
      .onConflictDoUpdate({ target: settings.key, set: { value: set$("value"), updatedAt: set$("t") } })
      .prepare(),
    getHead: db.select({ value: settings.value }).from(settings).where(eq(settings.key, $("key"))).prepare(),
    firstFrom: db.select({ id: e.id }).from(e).where(gte(e.at, $("from"))).orderBy(asc(e.at), asc(e.id)).limit(1).prepare(),
    lastTo: db.select({ id: e.id }).from(e).where(lte(e.at, $("to"))).orderBy(desc(e.at), desc(e.id)).limit(1).prepare(),
    maxId: db.select({ n: max(e.id) }).from(e).prepare(),
  };

  /** The ids a time range spans (`at` never decreases with the id), or null when it holds none. */
  const idBounds = (from: number | null, to: number | null): { lo: number; hi: number } | null => {
    const lo = from === null ? 1 : stmts.firstFrom.get({ from })?.id;
    const hi = to === null ? (stmts.maxId.get()?.n ?? 0) : stmts.lastTo.get({ to })?.id;
    return lo === undefined || hi === undefined || hi < lo ? null : { lo, hi };
  };
  const tableEnd = () => stmts.last.get() ?? { id: 0, hash: GENESIS_HASH, at: 0 };
  const headValue = () => stmts.getHead.get({ key: AUDIT_HEAD_SETTING })?.value;
  /** The stored head checked against the table's end; anything found is kept in it from now on. */
  const currentHead = (end = tableEnd()): Head => {
    let read = parseHead(key, headValue());
    // an old-format head after this trail's heads got a MAC: someone wrote it without the key
    if (read.state === "legacy" && macHead) read = { state: "forged" };
    const head = checkedHead(
      read,
      { id: end.id, hash: end.hash },
      () => stmts.pendingCount.get()?.n ?? 0,
      () => dataPresent(db),
    );
    const before = read.state === "ok" ? read.head.anomaly : null;
    if (head.anomaly && head.anomaly !== before) opts.onAnomaly?.(head.anomaly);
    return head;
  };
  const writeHead = (h: Head) => stmts.setHead.run({ key: AUDIT_HEAD_SETTING, value: serializeHead(key, h), t: now() });

  // At start: a trail with no head gets one now (fresh, upgraded, or carrying what was found).
  client.transaction(() => {
    if (parseHead(key, headValue()).state !== "ok") writeHead(currentHead());
    keyInfo.markMacHead();
  }).immediate();
  macHead = true;

  const appendTx = client.transaction((input: AuditInput): AuditRow => {
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
      gatewayUrl: input.gatewayUrl ?? null,
      session: input.session ?? null,
      message,
      messageBytes: message === null ? null : Buffer.byteLength(message, "utf8"),
      messageSha256: message === null ? null : createHash("sha256").update(message, "utf8").digest("hex"),
      broadcastId: input.broadcastId ?? null,
      messageId: input.messageId ?? null,
      details: input.details == null ? null : canonicalJson(input.details),
      prevHash: head.hash,
      hash: "",
      outcome: input.outcome,
      runId: pending ? null : (input.runId ?? null),
      reply: pending ? null : (input.reply ?? null),
      errorCode: pending ? null : (input.errorCode ?? null),
      errorMessage: pending ? null : (input.errorMessage ?? null),
      latencyMs: pending ? null : (input.latencyMs ?? null),
      completedAt: pending ? null : at,
      completionHash: null,
    };
    row.hash = entryHash(key, row.prevHash, chained(row, pending));
    if (!pending) row.completionHash = completionHash(key, row.hash, completionOf(row));
    stmts.insert.run(row);
    writeHead({ id: row.id, hash: row.hash, pending: head.pending + (pending ? 1 : 0), anomaly: head.anomaly });
    return row;
  });

  const completeTx = client.transaction((id: number, c: AuditCompletion): AuditRow => {
    const row = stmts.get.get({ id });
    if (!row) throw new AuditError(`Audit entry ${id} does not exist`);
    if (row.outcome !== "pending") throw new AuditError(`Audit entry ${id} is already completed (${row.outcome})`);
    if (row.completionHash !== null || row.completedAt !== null) throw new AuditError(`Audit entry ${id} was completed before and reverted to pending`);
    const head = currentHead();
    const done: AuditRow = {
      ...row,
      outcome: c.outcome,
      runId: c.runId ?? null,
      reply: c.reply ?? null,
      errorCode: c.errorCode ?? null,
      errorMessage: c.errorMessage ?? null,
      latencyMs: c.latencyMs ?? null,
      completedAt: now(),
    };
    done.completionHash = completionHash(key, row.hash, completionOf(done));
    const res = stmts.complete.run(done);
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
  const resealableTx = client.transaction((): number[] => {
    const head = currentHead();
    const inTable = stmts.pendingCount.get()?.n ?? 0;
    const ids = stmts.pendingIds.all().map((r) => r.id);
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

  const verifier = createVerifyRunner({ open: () => openSnapshot(db), key, headSetting: AUDIT_HEAD_SETTING }, signer, opts.onVerifyProgress);

  /**
   * Export rows on one cursor over one snapshot, yielding to the event loop between slices. The
   * query is drizzle's; it runs on better-sqlite3's `iterate()` because drizzle's prepared
   * queries for better-sqlite3 have no streaming counterpart (only all/get/values/run), and
   * reading every row at once is what this must not do.
   */
  async function* exportRows(where: Where): AsyncGenerator<AuditRow[]> {
    if (where.conditions === null) return;
    const snapshot = openSnapshot(db);
    try {
      const query = selectFrom(snapshot.db, where.conditions, where.fts, "asc").toSQL();
      const rows = snapshot.db.$client.prepare(query.sql).raw().iterate(...query.params) as IterableIterator<unknown[]>;
      try {
        let batch: AuditRow[] = [];
        let slice = performance.now();
        for (const values of rows) {
          // every column reads as stored (no column of the table decodes its value), like drizzle's own mapping
          const r = {} as Record<keyof AuditRow, unknown>;
          for (let i = 0; i < ROW_KEYS.length; i++) r[ROW_KEYS[i]!] = values[i];
          batch.push(r as AuditRow);
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
      snapshot.end();
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
      const row = stmts.get.get({ id });
      return row ? toEntry(row) : null;
    },
    query(input) {
      const q = parseAuditQuery(input);
      const where = whereOf(q, idBounds);
      const cursor = q.cursor ? decodeCursor(q.cursor) : null;
      if (where.conditions === null) return { items: [], nextCursor: null };
      let rows: AuditRow[];
      try {
        rows = selectFrom(db, where.conditions, where.fts, "desc", cursor)
          .limit(q.limit + 1)
          .all();
      } catch (err) {
        // the FTS query is sanitised, so this should not happen; never a 500 for a search, though
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err; // drizzle may wrap the driver's error
        if (q.q !== undefined && cause instanceof Error && ((cause as { code?: unknown }).code === "SQLITE_ERROR" || /fts5|match/i.test(cause.message))) {
          throw new ApiError("VALIDATION_FAILED", "The search text could not be used", { issues: [{ path: "q", message: cause.message, code: "custom" }] });
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
