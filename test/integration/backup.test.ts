// Backup while the server writes, restore into a fresh data dir, start a server on it: the data
// (teammates, API keys, audit trail) is there and the audit chain still verifies. Restore refuses
// while a server holds the database, and refuses files that are not Team Mesh databases.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { backupDatabase, isDatabaseInUse, restoreBackup, RestoreError, verifyBackup } from "../../server/ops/backup.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const VAULT_KEY = randomBytes(32).toString("base64");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "team-mesh-backup-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const count = (file: string, table: string) => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe("backup and restore against a running server", () => {
  let srv: TestServer;
  let dbFile: string;
  let adminKey: string;

  beforeAll(async () => {
    srv = await startTestServer({ env: { MESH_VAULT_KEY: VAULT_KEY } });
    dbFile = join(srv.dataDir, "team-mesh.db");
    adminKey = await srv.adminKey();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it("takes a consistent backup while the database is written, and it restores into a working server", async () => {
    // Writers: API calls that append audit entries (API keys), and a second connection adding
    // teammates, both running while the backup is taken.
    let stop = false;
    let apiWrites = 0;
    let rowWrites = 0;
    const apiWriter = (async () => {
      while (!stop) {
        const r = await srv.api("POST", "/api/v1/api-keys", { name: `writer-${apiWrites}`, role: "auditor" }, { key: adminKey });
        expect(r.status).toBe(201);
        apiWrites++;
      }
    })();
    const writerDb = new Database(dbFile);
    writerDb.pragma("busy_timeout = 5000");
    const insert = writerDb.prepare("insert into teammates (handle, name, created_at, updated_at) values (?, ?, ?, ?)");
    const rowWriter = (async () => {
      while (!stop) {
        insert.run(`mate-${rowWrites}`, `Mate ${rowWrites}`, Date.now(), Date.now());
        rowWrites++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // Both writers are going before the backup starts, and go on after it ended.
    await until(() => Math.min(apiWrites, rowWrites), (n) => n >= 3);
    const backupsBefore = rowWrites;
    const apiBefore = apiWrites;
    const result = await backupDatabase({ dbFile, dataDir: srv.dataDir, vaultKey: VAULT_KEY });
    const backupsAfter = rowWrites;
    await until(() => Math.min(apiWrites - apiBefore, rowWrites - backupsAfter), (n) => n >= 1);
    stop = true;
    await Promise.all([apiWriter, rowWriter]);
    writerDb.close();

    expect(apiWrites).toBeGreaterThan(0);
    expect(result.file).toMatch(new RegExp(`^${srv.dataDir}/backups/team-mesh-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z\\.db$`));
    expect(statSync(result.file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${result.file}-wal`)).toBe(false);
    // The snapshot holds the rows written before it started, and none the writers added after it ended.
    const mates = count(result.file, "teammates");
    expect(mates).toBeGreaterThanOrEqual(backupsBefore);
    expect(mates).toBeLessThanOrEqual(backupsAfter);
    expect(count(dbFile, "teammates")).toBe(rowWrites);
    // The operator is told where the key is and that it must not sit beside the backup; the key is never shown.
    const notice = result.notice.join("\n");
    expect(notice).toContain("MESH_VAULT_KEY");
    expect(notice).toMatch(/useless without/i);
    expect(notice).toMatch(/never store the key beside the backup/i);
    expect(notice).not.toContain(VAULT_KEY);
    expect(verifyBackup(result.file).migrations).toBeGreaterThan(0);

    // Restore refuses while this server holds the database, and leaves it untouched.
    expect(isDatabaseInUse(dbFile)).toBe(true);
    const sizeBefore = statSync(dbFile).size;
    expect(() => restoreBackup(result.file, dbFile)).toThrow(/in use.*stop the server/i);
    expect(statSync(dbFile).size).toBe(sizeBefore);

    // Restore into a new data dir and start a server there with the same vault key.
    const newDir = tempDir();
    const restored = restoreBackup(result.file, join(newDir, "team-mesh.db"));
    expect(restored.previous).toBeNull();
    const auditInBackup = count(join(newDir, "team-mesh.db"), "audit_entries");
    expect(auditInBackup).toBeGreaterThan(2);
    const srv2 = await startTestServer({ dataDir: newDir, env: { MESH_VAULT_KEY: VAULT_KEY } });
    try {
      // The admin key created before the backup still works: users and keys came along.
      const me = await srv2.api("GET", "/api/v1/auth/me", undefined, { key: adminKey });
      expect(me.status).toBe(200);
      expect(me.body.role).toBe("admin");
      const verify = await srv2.api("GET", "/api/v1/audit/verify", undefined, { key: adminKey });
      expect(verify.status).toBe(200);
      expect(verify.body.ok).toBe(true);
      expect(verify.body.checked).toBeGreaterThanOrEqual(auditInBackup);
      const keys = await srv2.api("GET", "/api/v1/api-keys", undefined, { key: adminKey });
      expect(keys.body.items.filter((k: { name: string }) => k.name.startsWith("writer-")).length).toBeGreaterThan(0);
      expect(count(join(newDir, "team-mesh.db"), "teammates")).toBe(mates);
    } finally {
      await srv2.stop();
    }
  });
});

describe("restoreBackup with the server stopped", () => {
  let source: TestServer;
  let backupFile: string;

  beforeAll(async () => {
    const dir = tempDir();
    source = await startTestServer({ dataDir: dir, env: { MESH_VAULT_KEY: VAULT_KEY } });
    await source.adminKey();
    backupFile = (await backupDatabase({ dbFile: join(dir, "team-mesh.db"), dataDir: dir, out: join(tempDir(), "b.db") })).file;
    await source.stop();
  });

  it("replaces an existing database, keeps the old one aside and removes stale -wal/-shm files", async () => {
    const dir = tempDir();
    const target = join(dir, "team-mesh.db");
    const other = await startTestServer({ dataDir: dir, env: { MESH_VAULT_KEY: VAULT_KEY } });
    await other.stop();
    writeFileSync(`${target}-shm`, "stale");
    const before = readFileSync(target);
    const r = restoreBackup(backupFile, target, { now: new Date("2030-01-02T03:04:05.678Z") });
    expect(r.previous).toBe(`${target}.pre-restore-2030-01-02T03-04-05-678Z`);
    expect(readFileSync(r.previous as string).equals(before)).toBe(true);
    expect(readFileSync(target).equals(readFileSync(backupFile))).toBe(true);
    expect(existsSync(`${target}-shm`)).toBe(false);
    expect(existsSync(`${target}-wal`)).toBe(false);
    expect(existsSync(join(dir, ".team-mesh.db.restoring"))).toBe(false);
  });

  it("refuses a file that is not an SQLite database, and leaves the target alone", () => {
    const dir = tempDir();
    const bogus = join(dir, "bogus.db");
    writeFileSync(bogus, "this is not a database".repeat(100));
    const target = join(dir, "team-mesh.db");
    writeFileSync(target, "current");
    expect(() => restoreBackup(bogus, target)).toThrow(RestoreError);
    expect(readFileSync(target, "utf8")).toBe("current");
  });

  it("refuses an SQLite database without the migrations table", () => {
    const dir = tempDir();
    const foreign = join(dir, "foreign.db");
    const db = new Database(foreign);
    db.exec("create table notes (x text)");
    db.close();
    expect(() => restoreBackup(foreign, join(dir, "team-mesh.db"))).toThrow(/__drizzle_migrations/);
    expect(existsSync(join(dir, "team-mesh.db"))).toBe(false);
  });

  it("refuses a backup written by a newer version (more migrations than this code knows)", () => {
    const dir = tempDir();
    const newer = join(dir, "newer.db");
    const db = new Database(newer);
    db.exec("create table __drizzle_migrations (id integer primary key, hash text, created_at numeric)");
    for (let i = 0; i < 50; i++) db.prepare("insert into __drizzle_migrations (hash, created_at) values (?, ?)").run(`h${i}`, i);
    db.close();
    expect(() => restoreBackup(newer, join(dir, "team-mesh.db"))).toThrow(/newer Team Mesh/);
  });

  it("refuses a missing backup file", () => {
    expect(() => restoreBackup(join(tempDir(), "nope.db"), join(tempDir(), "team-mesh.db"))).toThrow(/No backup file/);
  });
});

describe("backupDatabase failure paths", () => {
  it("refuses to overwrite an existing file and reports a missing database", async () => {
    const dir = tempDir();
    await expect(backupDatabase({ dbFile: join(dir, "missing.db"), dataDir: dir })).rejects.toThrow(/No database/);
    const db = new Database(join(dir, "team-mesh.db"));
    db.exec("create table t (x)");
    db.close();
    writeFileSync(join(dir, "exists.db"), "x");
    await expect(backupDatabase({ dbFile: join(dir, "team-mesh.db"), dataDir: dir, out: join(dir, "exists.db") })).rejects.toThrow(/not overwriting/);
    expect(readFileSync(join(dir, "exists.db"), "utf8")).toBe("x");
  });

  const smallDb = (dir: string) => {
    const db = new Database(join(dir, "team-mesh.db"));
    db.exec("create table t (x)");
    db.close();
    return join(dir, "team-mesh.db");
  };

  it("warns when the backup lands in the folder that holds the key file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "vault.key"), "k", { mode: 0o600 });
    const r = await backupDatabase({ dbFile: smallDb(dir), dataDir: dir, out: join(dir, "copy.db") });
    expect(r.vaultKey).toEqual({ source: "file", file: join(dir, "vault.key") });
    expect(r.warnings).toEqual([expect.stringContaining(`also holds the vault key ${join(dir, "vault.key")}`)]);
  });

  it("warns for the default location: <dataDir>/backups sits inside the folder with vault.key", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "vault.key"), "k", { mode: 0o600 });
    const r = await backupDatabase({ dbFile: smallDb(dir), dataDir: dir });
    expect(r.file.startsWith(join(dir, "backups"))).toBe(true);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/a backup plus its key is the whole vault/);
  });

  it("warns when the key comes from MESH_VAULT_KEY but a vault.key file sits beside the backup", async () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    writeFileSync(join(elsewhere, "vault.key"), "k", { mode: 0o600 });
    const r = await backupDatabase({ dbFile: smallDb(dir), dataDir: dir, vaultKey: VAULT_KEY, out: join(elsewhere, "copy.db") });
    expect(r.vaultKey.source).toBe("env");
    expect(r.warnings).toEqual([expect.stringContaining(join(elsewhere, "vault.key"))]);
    // the key value itself is never part of the result
    expect(JSON.stringify(r)).not.toContain(VAULT_KEY);
  });

  it("no warning for a backup stored apart from the key", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "vault.key"), "k", { mode: 0o600 });
    const r = await backupDatabase({ dbFile: smallDb(dir), dataDir: dir, out: join(tempDir(), "copy.db") });
    expect(r.warnings).toEqual([]);
    expect(r.notice.join("\n")).not.toMatch(/WARNING/);
  });
});
