// Online backup and offline restore of the SQLite database.
//
// Backup uses SQLite's backup API (better-sqlite3 `db.backup`), which copies a consistent snapshot
// while the server keeps reading and writing. The copy is a single self-contained file (journal
// mode DELETE, no -wal/-shm beside it), mode 0600.
//
// A backup holds every credential only as ciphertext: it is useless without the vault master key
// (MESH_VAULT_KEY or <dataDir>/vault.key), and the key must never be stored beside the backup.
//
// Restore runs with the server stopped: it refuses while another connection holds the database
// (an exclusive SQLite lock is taken and kept until the new file is in place), verifies the
// backup (opens, passes quick_check, has the migrations table, is not from a newer version),
// keeps the current database as <db>.pre-restore-<time>, moves the backup into place and
// removes the stale -wal/-shm files.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS_DIR } from "../db/connection.ts";
import { keyFilePath } from "../vault/key.ts";

export const BACKUP_DIR = "backups";
const MIGRATIONS_TABLE = "__drizzle_migrations";

export class BackupError extends Error {
  override name = "BackupError";
}
export class RestoreError extends Error {
  override name = "RestoreError";
}

export interface VaultKeyLocation {
  source: "env" | "file";
  /** The key file, for key-file setups. */
  file: string | null;
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  at: string;
  vaultKey: VaultKeyLocation;
  /** Lines to show the operator: where the key is and why it matters. */
  notice: string[];
  /** One line per vault key file the backup sits beside (empty when it is stored apart). */
  warnings: string[];
}

export interface BackupOptions {
  dbFile: string;
  dataDir: string;
  /** MESH_VAULT_KEY, if the key comes from the environment. Only its presence is used. */
  vaultKey?: string | undefined;
  /** Destination file; default <dataDir>/backups/team-mesh-<timestamp>.db */
  out?: string | undefined;
  now?: Date;
}

/** File-name friendly UTC timestamp: 2025-11-24T03-45-00-123Z */
export function backupTimestamp(d: Date): string {
  return d.toISOString().replace(/:/g, "-").replace(".", "-");
}

export function defaultBackupFile(dataDir: string, now: Date): string {
  return join(resolve(dataDir), BACKUP_DIR, `team-mesh-${backupTimestamp(now)}.db`);
}

export function vaultKeyLocation(opts: { dataDir: string; vaultKey?: string | undefined }): VaultKeyLocation {
  return opts.vaultKey ? { source: "env", file: null } : { source: "file", file: keyFilePath(resolve(opts.dataDir)) };
}

/**
 * Key files a backup lands beside: a vault.key in the backup's folder, or the configured key file
 * when the backup sits in the key's folder or below it (the default <dataDir>/backups does) —
 * whoever copies that folder gets the backup and its key, i.e. every credential.
 */
export function keysBesideBackup(where: VaultKeyLocation, backupFile: string): string[] {
  const folder = resolve(dirname(backupFile));
  const found = new Set<string>();
  if (where.file) {
    const keyDir = resolve(dirname(where.file));
    const rel = relative(keyDir, folder);
    if (existsSync(where.file) && (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)))) found.add(resolve(where.file));
  }
  const local = keyFilePath(folder);
  if (existsSync(local)) found.add(local);
  return [...found];
}

export function vaultKeyWarnings(where: VaultKeyLocation, backupFile: string): string[] {
  return keysBesideBackup(where, backupFile).map(
    (key) => `WARNING: the backup ${backupFile} is in a folder that also holds the vault key ${key}; a backup plus its key is the whole vault: move the backup elsewhere.`,
  );
}

export function vaultKeyNotice(where: VaultKeyLocation): string[] {
  return [
    where.source === "env"
      ? "The vault master key comes from MESH_VAULT_KEY (environment / .env)."
      : `The vault master key is the file ${where.file}.`,
    "This backup holds every gateway credential encrypted with that key: it is USELESS without the key.",
    "Keep a copy of the key somewhere safe and SEPARATE: never store the key beside the backup",
    "(whoever gets both gets every credential).",
  ];
}

/** Consistent online backup of a database that may be in use. */
export async function backupDatabase(opts: BackupOptions): Promise<BackupResult> {
  const now = opts.now ?? new Date();
  const source = resolve(opts.dbFile);
  if (!existsSync(source)) throw new BackupError(`No database at ${source} (check MESH_DATA_DIR / MESH_DB_FILE)`);
  const dest = resolve(opts.out ?? defaultBackupFile(opts.dataDir, now));
  if (dest === source) throw new BackupError("The backup file must not be the database itself");
  if (existsSync(dest)) throw new BackupError(`${dest} exists; not overwriting it`);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const partial = `${dest}.partial`;
  rmSync(partial, { force: true });

  const db = new Database(source, { fileMustExist: true });
  let pages: number;
  try {
    db.pragma("busy_timeout = 5000");
    const progress = await db.backup(partial);
    pages = progress.totalPages;
  } catch (err) {
    rmSync(partial, { force: true });
    throw new BackupError(`Backup of ${source} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db.close();
  }
  try {
    // Make the copy self-contained (no -wal/-shm needed to read it) and check it.
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma("journal_mode = DELETE");
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupError(`The backup copy fails quick_check: ${String(check)}`);
    } finally {
      copy.close();
    }
    chmodSync(partial, 0o600);
    renameSync(partial, dest);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  const vaultKey = vaultKeyLocation(opts);
  return { file: dest, bytes: statSync(dest).size, pages, at: now.toISOString(), vaultKey, notice: vaultKeyNotice(vaultKey), warnings: vaultKeyWarnings(vaultKey, dest) };
}

export interface BackupInfo {
  migrations: number;
  tables: string[];
}

/** Migrations this code base knows (the drizzle journal). */
export function knownMigrations(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  return journal.entries.length;
}

/** Opens a backup read-only and checks it is a Team Mesh database this version can use. */
export function verifyBackup(file: string): BackupInfo {
  const path = resolve(file);
  if (!existsSync(path)) throw new RestoreError(`No backup file at ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new RestoreError(`${path} does not open as an SQLite database: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    let check: unknown;
    try {
      check = db.pragma("quick_check", { simple: true });
    } catch (err) {
      throw new RestoreError(`${path} is not a usable SQLite database: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (check !== "ok") throw new RestoreError(`${path} fails SQLite's quick_check: ${String(check)}`);
    // raw SQL: this inspects an SQLite file of unknown origin (its catalogue and drizzle's own
    // migrations table), not this schema's tables
    const tables = (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((r) => r.name);
    if (!tables.includes(MIGRATIONS_TABLE)) {
      throw new RestoreError(`${path} has no ${MIGRATIONS_TABLE} table: not a Team Mesh database`);
    }
    const migrations = (db.prepare(`select count(*) as n from ${MIGRATIONS_TABLE}`).get() as { n: number }).n;
    const known = knownMigrations();
    if (migrations > known) {
      throw new RestoreError(`${path} was written by a newer Team Mesh (${migrations} migrations applied, this version knows ${known})`);
    }
    return { migrations, tables };
  } finally {
    db.close();
  }
}

/**
 * Takes an exclusive lock on an existing database, or returns null when the file does not exist.
 * Throws RestoreError when another connection (a running server) holds it.
 */
export function lockDatabase(dbFile: string): Database.Database | null {
  if (!existsSync(dbFile)) return null;
  const db = new Database(dbFile, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("COMMIT"); // the lock stays: locking_mode EXCLUSIVE keeps it until close
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === "SQLITE_BUSY" || (err as { code?: string }).code === "SQLITE_LOCKED") {
      throw new RestoreError(`${dbFile} is in use (is the server running?). Stop the server first, then restore`);
    }
    throw err;
  }
}

/** True when another connection holds the database (a running server). */
export function isDatabaseInUse(dbFile: string): boolean {
  try {
    lockDatabase(dbFile)?.close();
    return false;
  } catch (err) {
    if (err instanceof RestoreError) return true;
    throw err;
  }
}

export interface RestoreResult {
  restored: string;
  from: string;
  migrations: number;
  /** The database that was replaced, kept beside it; null when there was none. */
  previous: string | null;
}

/** Replaces the database with a backup. The server must be stopped. */
export function restoreBackup(backupFile: string, dbFile: string, opts: { now?: Date } = {}): RestoreResult {
  const from = resolve(backupFile);
  const target = resolve(dbFile);
  if (from === target) throw new RestoreError("The backup file is the database itself");
  const info = verifyBackup(from);
  mkdirSync(dirname(target), { recursive: true });
  const lock = lockDatabase(target); // throws while the server holds the database
  const tmp = join(dirname(target), `.${basename(target)}.restoring`);
  let previous: string | null = null;
  try {
    rmSync(tmp, { force: true });
    copyFileSync(from, tmp);
    chmodSync(tmp, 0o600);
    verifyBackup(tmp);
    if (lock) {
      previous = `${target}.pre-restore-${backupTimestamp(opts.now ?? new Date())}`;
      renameSync(target, previous);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err instanceof RestoreError ? err : new RestoreError(`Restore failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    // Closing checkpoints any leftover WAL into the previous database (now renamed), then the
    // stale -wal/-shm must go: they belong to the old file, not to the restored one.
    lock?.close();
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
  }
  return { restored: target, from, migrations: info.migrations, previous };
}
