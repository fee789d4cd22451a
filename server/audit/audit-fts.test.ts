// The full-text index holds each entry once, written when the entry is final (migration 0004):
// a pending send is found once it completes, never twice, and the index always agrees with the
// table (FTS5's own integrity-check). Also across the upgrade from the old triggers, which
// indexed pending entries at insert.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditLog } from "./index.ts";
import { MIGRATIONS_DIR, openDatabase, type Db } from "../db/connection.ts";
import { migrate } from "../db/drizzle.ts";
import { writeBatchOf } from "../db/write-batch.ts";
import { createVault } from "../vault/index.ts";

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mesh-fts-"));
  db = openDatabase(join(dir, "t.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Applies the migrations up to (not including) the one whose tag starts with `stopAt`. */
function migrateUpTo(stopAt: string | null) {
  if (stopAt === null) return migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  const folder = join(dir, "migrations");
  cpSync(MIGRATIONS_DIR, folder, { recursive: true });
  const journalFile = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag.startsWith(stopAt));
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalFile, JSON.stringify(journal));
  migrate(db, { migrationsFolder: folder });
}

const integrity = () => db.$client.prepare("insert into audit_fts(audit_fts) values ('integrity-check')").run();
const ftsRows = () => (db.$client.prepare("select count(*) as n from audit_fts where audit_fts match 'zebra'").get() as { n: number }).n;

it("indexes a send once, when it completes; search finds it once; the index agrees with the table", () => {
  migrateUpTo(null);
  const log = createAuditLog({ db, vault: createVault(db, randomBytes(32)) });
  const p = log.append({ actor: "u", kind: "send", outcome: "pending", message: "zebra crossing" });
  expect(log.query({ q: "zebra" }).items).toHaveLength(0); // in flight: not yet
  log.complete(p.id, { outcome: "replied", reply: "the zebra says hi" });
  log.append({ actor: "u", kind: "send", outcome: "replied", message: "another zebra", reply: "ok" });
  expect(log.query({ q: "zebra" }).items.map((e) => e.id)).toEqual([p.id + 1, p.id]);
  expect(log.query({ q: "says" }).items.map((e) => e.id)).toEqual([p.id]);
  expect(ftsRows()).toBe(2);
  expect(() => integrity()).not.toThrow();
});

it("upgrading with pending entries indexed by the old triggers: each is indexed once after its completion", () => {
  migrateUpTo("0004");
  const log = createAuditLog({ db, vault: createVault(db, randomBytes(32)) });
  const a = log.append({ actor: "u", kind: "send", outcome: "pending", message: "zebra one" });
  const b = log.append({ actor: "u", kind: "send", outcome: "pending", message: "zebra two" });
  log.append({ actor: "u", kind: "send", outcome: "replied", message: "zebra three", reply: "r" });
  expect(ftsRows()).toBe(3); // the old insert trigger indexed the pending ones too
  writeBatchOf(db.$client).flush(); // an upgrade runs at start-up, with no write batch open
  migrateUpTo(null);
  expect(() => integrity()).not.toThrow();
  expect(log.query({ q: "zebra" }).items.map((e) => e.id)).toEqual([b.id + 1]);
  log.complete(a.id, { outcome: "replied", reply: "fine" });
  log.interruptPending();
  expect(log.query({ q: "zebra" }).items.map((e) => e.id)).toEqual([b.id + 1, b.id, a.id]);
  expect(ftsRows()).toBe(3);
  expect(() => integrity()).not.toThrow();
});
