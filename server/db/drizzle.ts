// drizzle-orm, loaded through `require` (its CommonJS build). Through `import`, Node's ESM
// resolver walks drizzle's 180 KB package.json `exports` map (447 entries) again for each of the
// package's internal imports: start-up allocated ~130 MB that V8 then kept as heap, and the idle
// server sat at ~280 MB RSS. The CommonJS resolver caches the package once. Types are the same.
// (`__filename` when a tool loads this file as CommonJS, e.g. drizzle-kit reading the schema.)
import { createRequire } from "node:module";
import type * as Core from "drizzle-orm";
import type * as BetterSqlite from "drizzle-orm/better-sqlite3";
import type * as Migrator from "drizzle-orm/better-sqlite3/migrator";
import type * as SqliteCore from "drizzle-orm/sqlite-core";

const load = createRequire(typeof __filename === "string" ? __filename : import.meta.url);

export const { and, asc, between, count, desc, eq, fillPlaceholders, getTableColumns, gt, gte, inArray, isNull, like, lt, lte, max, min, notInArray, or, sql } = load("drizzle-orm") as typeof Core;
export const { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } = load("drizzle-orm/sqlite-core") as typeof SqliteCore;
export const { drizzle } = load("drizzle-orm/better-sqlite3") as typeof BetterSqlite;
export const { migrate } = load("drizzle-orm/better-sqlite3/migrator") as typeof Migrator;
export type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
export type { SQL } from "drizzle-orm";

/**
 * A named placeholder for prepared updates and upserts: drizzle runs a bare placeholder in
 * `set` but does not type it. Bound as given, without the column's encoder (use it for plain
 * text and integer columns).
 */
export const setPlaceholder = (name: string) => sql`${sql.placeholder(name)}`;
