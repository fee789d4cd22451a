import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, migrationsApplied, openDatabase } from "./connection.ts";

describe("database file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "team-mesh-db-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is created readable by its owner only, in a private folder, WAL on, foreign keys on", () => {
    const file = join(dir, "data", "team-mesh.db");
    const db = openDatabase(file);
    applyMigrations(db);
    db.$client.prepare("insert into settings(key, value, updated_at) values ('x', 'y', 1)").run();
    expect(statSync(join(dir, "data")).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    expect(db.$client.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.$client.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(migrationsApplied(db)).toBeGreaterThanOrEqual(2);
    db.$client.close();
  });

  it("refuses to run the audit trail backwards: deletes and edits of a completed entry abort", () => {
    const db = openDatabase(join(dir, "a.db"));
    applyMigrations(db);
    const sql = db.$client;
    sql
      .prepare("insert into audit_entries(at, actor, kind, prev_hash, hash, outcome) values (1, 'a', 'send', 'p', 'h', 'replied')")
      .run();
    expect(() => sql.prepare("delete from audit_entries").run()).toThrow(/append-only/);
    expect(() => sql.prepare("update audit_entries set reply = 'forged'").run()).toThrow(/append-only/);
    db.$client.close();
  });
});
