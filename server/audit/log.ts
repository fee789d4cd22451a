// The append-only, hash-chained audit trail over `audit_entries` (see chain.ts for the hashes).
import { createHash, createSecretKey, randomBytes } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { z } from "zod";
import { AuditQuery as AuditQuerySchema, type AuditEntry, type AuditVerifyProgress } from "../../shared/api/audit.ts";
import type { Db } from "../db/connection.ts";
import { and, asc, between, count, desc, eq, fillPlaceholders, gte, inArray, isNull, lt, lte, max, min, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { auditEntries as e, settings } from "../db/schema.ts";
import { writeBatchOf } from "../db/write-batch.ts";
import { ApiError } from "../errors.ts";
import type { Vault } from "../vault/types.ts";
import { loadAnchorSigner } from "./anchor.ts";
import { GENESIS_HASH, canonicalJson, completionHash, entryHash } from "./chain.ts";
import { csvRow } from "./csv.ts";
import { auditFts, toFtsQuery } from "./fts.ts";
import { checkedHead, dataPresent, parseHead, serializeHead, type Head, type HeadRead } from "./head.ts";
import { auditRowColumns, chained, completionOf, rowOf, toEntry, type AuditRow } from "./rows.ts";
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

/**
 * The filters as a statement and the values of its placeholders. The statement's text depends
 * only on the shape (which filters are set, how many kinds and outcomes), so the log prepares
 * one statement per shape and keeps it (see `pages`).
 */
interface Where {
  shape: {
    teammate: boolean;
    actor: boolean;
    kinds: number;
    outcomes: number;
    /** A time range: ids lo..hi, and `from` / `to` on `at`. */
    ids: boolean;
    from: boolean;
    to: boolean;
    broadcastId: boolean;
    messageId: boolean;
    /** Full-text search (placeholder `fts`: the sanitised FTS5 query). */
    fts: boolean;
  };
  values: Record<string, unknown>;
}

/**
 * Filters → shape and values, or null when they cannot match anything (a time range that holds
 * no entry). A time range becomes an id range first: `at` never decreases with the id (the log
 * makes it so), so the page is read along the primary key or an (x, id) index and costs the
 * page, not the number of entries in the range. The `at` test stays as well (`+at`: a filter,
 * never the index the planner picks), so the answer is exact even where old entries written
 * before that rule went back in time.
 */
function whereOf(q: ParsedQuery, idBounds: (from: number | null, to: number | null) => { lo: number; hi: number } | null): Where | null {
  const values: Record<string, unknown> = {};
  const set = (name: string, value: unknown) => {
    values[name] = value;
    return true;
  };
  const fts = q.q === undefined ? null : toFtsQuery(q.q) || null;
  const from = q.from ? Date.parse(q.from) : null;
  const to = q.to ? Date.parse(q.to) : null;
  let ids = false;
  if (from !== null || to !== null) {
    const bounds = idBounds(from, to);
    if (!bounds) return null;
    ids = set("lo", bounds.lo) && set("hi", bounds.hi);
  }
  const kinds = q.kind ?? [];
  const outcomes = q.outcome ?? [];
  kinds.forEach((k, i) => set(`kind${i}`, k));
  outcomes.forEach((o, i) => set(`outcome${i}`, o));
  const shape: Where["shape"] = {
    teammate: !!q.teammate && set("teammate", q.teammate.trim().toLowerCase()),
    actor: !!q.actor && set("actor", q.actor),
    kinds: kinds.length,
    outcomes: outcomes.length,
    ids,
    from: from !== null && set("from", from),
    to: to !== null && set("to", to),
    broadcastId: !!q.broadcastId && set("broadcastId", q.broadcastId),
    messageId: !!q.messageId && set("messageId", q.messageId),
    fts: fts !== null && set("fts", fts),
  };
  return { shape, values };
}

/**
 * The rows for a shape of filters in id order; `paged`: ids below placeholder `before` (when
 * `before` is set), at most `limit` rows. A search reads the FTS index in rowid order and joins
 * each hit, so a page stops after `limit` hits instead of collecting every match first.
 */
function selectFrom(db: Db, w: Where["shape"], order: "asc" | "desc", paged?: { before: boolean }) {
  const $ = sql.placeholder;
  const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => $(`${prefix}${i}`));
  const id = w.fts ? auditFts.rowid : e.id;
  const where = and(
    w.fts ? sql`${auditFts} match ${$("fts")}` : undefined,
    w.teammate ? eq(e.teammate, $("teammate")) : undefined,
    w.actor ? eq(e.actor, $("actor")) : undefined,
    w.kinds ? inArray(e.kind, range("kind", w.kinds)) : undefined,
    w.outcomes ? inArray(e.outcome, range("outcome", w.outcomes)) : undefined,
    w.ids ? between(e.id, $("lo"), $("hi")) : undefined,
    // unary plus: SQLite's way of keeping a term out of index selection (see whereOf)
    w.from ? sql`+${e.at} >= ${$("from")}` : undefined,
    w.to ? sql`+${e.at} <= ${$("to")}` : undefined,
    w.broadcastId ? eq(e.broadcastId, $("broadcastId")) : undefined,
    w.messageId ? eq(e.messageId, $("messageId")) : undefined,
    paged?.before ? lt(id, $("before")) : undefined,
  );
  const base = w.fts ? db.select(auditRowColumns).from(auditFts).innerJoin(e, eq(e.id, auditFts.rowid)) : db.select(auditRowColumns).from(e);
  const query = base.where(where).orderBy(order === "asc" ? asc(id) : desc(id));
  return paged ? query.limit($("limit")) : query;
}

/** Statement shapes kept prepared at most (a shape is a set of filters; the API's are few). */
const PAGE_SHAPES_KEPT = 64;

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
    // the newest entry by max(id), not `order by id desc limit ?`: a bound LIMIT costs SQLite ~12 µs a
    // run (and this runs twice per send); max(id) reads the primary key's last page
    last: db
      .select({ id: e.id, hash: e.hash, at: e.at })
      .from(e)
      .where(eq(e.id, db.select({ id: max(e.id) }).from(e)))
      .prepare(),
    // set$ (bound as given) throughout: every column is plain text or integer but details, whose
    // text must not be JSON-encoded again; it also spares drizzle unwrapping 23 params per append
    insert: db
      .insert(e)
      .values({
        id: set$("id"),
        at: set$("at"),
        actor: set$("actor"),
        kind: set$("kind"),
        teammate: set$("teammate"),
        gatewayUrl: set$("gatewayUrl"),
        session: set$("session"),
        message: set$("message"),
        messageBytes: set$("messageBytes"),
        messageSha256: set$("messageSha256"),
        broadcastId: set$("broadcastId"),
        messageId: set$("messageId"),
        details: set$("details"), // the canonical JSON text, bound as is (see AuditRow)
        prevHash: set$("prevHash"),
        hash: set$("hash"),
        outcome: set$("outcome"),
        runId: set$("runId"),
        reply: set$("reply"),
        errorCode: set$("errorCode"),
        errorMessage: set$("errorMessage"),
        latencyMs: set$("latencyMs"),
        completedAt: set$("completedAt"),
        completionHash: set$("completionHash"),
      })
      .prepare(),
    get: db.select(auditRowColumns).from(e).where(eq(e.id, $("id"))).prepare(), // read with .values() and rowOf (see rows.ts)
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
    // the first entry at or after `from` (smallest at, then smallest id) and the last at or before
    // `to`: two look-ups on audit_at each, as fast as `order by at, id limit 1` with its LIMIT inline
    firstFrom: db
      .select({ id: min(e.id) })
      .from(e)
      .where(eq(e.at, db.select({ at: min(e.at) }).from(e).where(gte(e.at, $("from")))))
      .prepare(),
    lastTo: db
      .select({ id: max(e.id) })
      .from(e)
      .where(eq(e.at, db.select({ at: max(e.at) }).from(e).where(lte(e.at, $("to")))))
      .prepare(),
    maxId: db.select({ n: max(e.id) }).from(e).prepare(),
  };

  /** The ids a time range spans (`at` never decreases with the id), or null when it holds none. */
  const idBounds = (from: number | null, to: number | null): { lo: number; hi: number } | null => {
    const lo = from === null ? 1 : (stmts.firstFrom.get({ from })?.id ?? undefined);
    const hi = to === null ? (stmts.maxId.get()?.n ?? 0) : (stmts.lastTo.get({ to })?.id ?? undefined);
    return lo === undefined || hi === undefined || hi < lo ? null : { lo, hi };
  };
  const getRow = (id: number): AuditRow | undefined => {
    const values = stmts.get.values({ id })[0];
    return values && rowOf(values);
  };
  const tableEnd = (): { id: number; hash: string; at: number } => {
    const values = stmts.last.values()[0] as [number, string, number] | undefined; // twice per send: no per-field mapping
    return values ? { id: values[0], hash: values[1], at: values[2] } : { id: 0, hash: GENESIS_HASH, at: 0 };
  };
  const headValue = () => stmts.getHead.get({ key: AUDIT_HEAD_SETTING })?.value;
  /** The stored head checked against the table's end; anything found is kept in it from now on. */
  const currentHead = (end = tableEnd()): Head => {
    const value = headValue();
    // The value this process wrote last (MAC included) reads as the head it was made from: no
    // second parse and HMAC per append/complete. Any other value (edited, forged, rolled back
    // to an older one) differs in its bytes and is parsed and checked in full.
    let read = lastWritten !== null && lastWritten.value === value ? lastWritten.read : parseHead(key, value);
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
  let lastWritten: { value: string; read: HeadRead } | null = null;
  const writeHead = (h: Head) => {
    const value = serializeHead(key, h);
    stmts.setHead.run({ key: AUDIT_HEAD_SETTING, value, t: now() });
    lastWritten = { value, read: { state: "ok", head: Object.freeze({ ...h }) } };
  };

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
    const row = getRow(id);
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

  /** The page statement of each shape of filters, prepared on first use (oldest dropped past PAGE_SHAPES_KEPT). */
  const pages = new Map<string, ReturnType<ReturnType<typeof selectFrom>["prepare"]>>();
  const pageOf = (w: Where["shape"], before: boolean) => {
    const shape = `${JSON.stringify(w)}${before ? "<" : ""}`;
    let stmt = pages.get(shape);
    if (!stmt) {
      stmt = selectFrom(db, w, "desc", { before }).prepare();
      if (pages.size >= PAGE_SHAPES_KEPT) pages.delete(pages.keys().next().value!);
      pages.set(shape, stmt);
    }
    return stmt;
  };

  /**
   * Export rows on one cursor over one snapshot, yielding to the event loop between slices. The
   * query is drizzle's; it runs on better-sqlite3's `iterate()` because drizzle's prepared
   * queries for better-sqlite3 have no streaming counterpart (only all/get/values/run), and
   * reading every row at once is what this must not do.
   */
  async function* exportRows(where: Where): AsyncGenerator<AuditRow[]> {
    const snapshot = openSnapshot(db);
    try {
      const query = selectFrom(snapshot.db, where.shape, "asc").toSQL();
      const rows = snapshot.db.$client
        .prepare(query.sql)
        .raw()
        .iterate(...fillPlaceholders(query.params, where.values)) as IterableIterator<unknown[]>;
      try {
        let batch: AuditRow[] = [];
        let slice = performance.now();
        for (const values of rows) {
          batch.push(rowOf(values));
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
      const row = getRow(id);
      return row ? toEntry(row) : null;
    },
    query(input) {
      const q = parseAuditQuery(input);
      const where = whereOf(q, idBounds);
      const before = q.cursor ? decodeCursor(q.cursor) : null; // a bad cursor is refused even when nothing matches
      if (!where) return { items: [], nextCursor: null };
      let rows: AuditRow[];
      try {
        rows = pageOf(where.shape, before !== null)
          .values({ ...where.values, before, limit: q.limit + 1 })
          .map(rowOf);
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
      if (!where) return;
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
