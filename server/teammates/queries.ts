// Every query the registry runs, through drizzle's query builder; the hot reads (by handle, by
// id, the list, one status) are prepared once per database.
import type { Db } from "../db/connection.ts";
import { and, asc, desc, eq, getTableColumns, notInArray, sql } from "../db/drizzle.ts";
import { settings, statusHistory, teammateStatus, teammates } from "../db/schema.ts";

export const STATUS_HISTORY_KEEP = 200;

export type Row = typeof teammates.$inferSelect;
/** Scopes as stored (JSON text), parsed leniently by the status view (a bad value shows as none). */
export type StatusRow = Omit<typeof teammateStatus.$inferSelect, "scopes"> & { scopes: string | null };
export type StatusWrite = Omit<typeof teammateStatus.$inferInsert, "scopes"> & { scopes: string | null };
/** The fields a teammate's owner edits (everything but id, handle and the times). */
export type Editable = Pick<Row, "name" | "displayName" | "note" | "gatewayUrl" | "hostname" | "tlsFingerprint" | "tags"> & Partial<Pick<Row, "agentId" | "agentEmoji" | "credentialsFrom">>;

const statusColumns = { ...getTableColumns(teammateStatus), scopes: sql<string | null>`${teammateStatus.scopes}` };
// stored as given (already JSON text), not encoded again by the json column
const scopesText = (text: string | null) => (text === null ? null : sql`${text}`);

export function prepareQueries(db: Db) {
  const all = db.select().from(teammates).orderBy(asc(teammates.handle)).prepare();
  const byHandle = db.select().from(teammates).where(eq(teammates.handle, sql.placeholder("handle"))).prepare();
  const byId = db.select().from(teammates).where(eq(teammates.id, sql.placeholder("id"))).prepare();
  const status = db.select(statusColumns).from(teammateStatus).where(eq(teammateStatus.teammateId, sql.placeholder("id"))).prepare();
  const getSetting = db.select({ value: settings.value }).from(settings).where(eq(settings.key, sql.placeholder("key"))).prepare();

  return {
    all: (): Row[] => all.all(),
    byHandle: (handle: string): Row | undefined => byHandle.get({ handle }),
    byId: (id: number): Row | undefined => byId.get({ id }),
    /** Returns the new id. */
    insert: (row: typeof teammates.$inferInsert): number => Number(db.insert(teammates).values(row).run().lastInsertRowid),
    update: (id: number, fields: Omit<Editable, "tags"> & { tags?: string[]; updatedAt: number }) => db.update(teammates).set(fields).where(eq(teammates.id, id)).run(),
    remove: (id: number) => db.delete(teammates).where(eq(teammates.id, id)).run(),

    status: (id: number): StatusRow | undefined => status.get({ id }),
    statuses: (): StatusRow[] => db.select(statusColumns).from(teammateStatus).all(),
    clearStatus: (id: number) => db.delete(teammateStatus).where(eq(teammateStatus.teammateId, id)).run(),
    upsertStatus: ({ teammateId, scopes, ...rest }: StatusWrite) => {
      const set = { ...rest, scopes: scopesText(scopes) };
      return db.insert(teammateStatus).values({ teammateId, ...set }).onConflictDoUpdate({ target: teammateStatus.teammateId, set }).run();
    },

    addHistory: (entry: typeof statusHistory.$inferInsert) => db.insert(statusHistory).values(entry).run(),
    /** Keeps the newest STATUS_HISTORY_KEEP entries of a teammate. */
    pruneHistory: (teammateId: number) => {
      const keep = db
        .select({ id: statusHistory.id })
        .from(statusHistory)
        .where(eq(statusHistory.teammateId, teammateId))
        .orderBy(desc(statusHistory.id))
        .limit(STATUS_HISTORY_KEEP);
      return db.delete(statusHistory).where(and(eq(statusHistory.teammateId, teammateId), notInArray(statusHistory.id, keep))).run();
    },
    history: (teammateId: number, limit: number) =>
      db
        .select({ at: statusHistory.at, state: statusHistory.state, latencyMs: statusHistory.latencyMs, errorCode: statusHistory.errorCode })
        .from(statusHistory)
        .where(eq(statusHistory.teammateId, teammateId))
        .orderBy(desc(statusHistory.id))
        .limit(limit)
        .all(),

    getSetting: (key: string): string | undefined => getSetting.get({ key })?.value,
    setSetting: (key: string, value: string, at: number) =>
      db.insert(settings).values({ key, value, updatedAt: at }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: at } }).run(),
    deleteSetting: (key: string) => db.delete(settings).where(eq(settings.key, key)).run(),
  };
}

export type Queries = ReturnType<typeof prepareQueries>;
