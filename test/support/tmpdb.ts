// Test helper: a real SQLite file (WAL) in a fresh temp dir, migrated.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, openDatabase, type Db } from "../../server/db/connection.ts";

export interface TmpDb {
  dir: string;
  file: string;
  db: Db;
  reopen(): Db;
  cleanup(): void;
}

export function tmpDb(): TmpDb {
  const dir = mkdtempSync(join(tmpdir(), "mesh-test-"));
  const file = join(dir, "team-mesh.db");
  const dbs: Db[] = [];
  const open = () => {
    const db = openDatabase(file);
    applyMigrations(db);
    dbs.push(db);
    return db;
  };
  const db = open();
  return {
    dir,
    file,
    db,
    reopen: open,
    cleanup() {
      for (const d of dbs) if (d.$client.open) d.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function addTeammate(db: Db, handle: string): number {
  const now = Date.now();
  const r = db.$client.prepare("insert into teammates(handle, name, created_at, updated_at) values (?, ?, ?, ?)").run(handle, handle, now, now);
  return Number(r.lastInsertRowid);
}
