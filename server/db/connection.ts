// Opens the SQLite file with the settings every connection needs, and applies migrations.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { drizzle, migrate, type BetterSQLite3Database } from "./drizzle.ts";
import * as schema from "./schema.ts";
import { APP_ROOT } from "../app-root.ts";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export const MIGRATIONS_DIR = join(APP_ROOT, "migrations");

export class MigrationError extends Error {}

export function openDatabase(file: string): Db {
  if (file !== ":memory:") {
    // Messages and replies are stored in clear (the audit trail is the product): only this
    // user may read the folder and the file. SQLite gives -wal/-shm the file's mode.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, "a", 0o600));
  }
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  return drizzle(sqlite, { schema }) as Db;
}

/** Applies pending migrations; a failure is fatal and says which migration broke. */
export function applyMigrations(db: Db): void {
  try {
    migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new MigrationError(`Database migration failed (${MIGRATIONS_DIR}): ${cause}`);
  }
}

/** Migrations recorded as applied, for /readyz. */
export function migrationsApplied(db: Db): number {
  const row = db.$client.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number } | undefined;
  return row?.n ?? 0;
}
