// Group commit: the writes of one event-loop turn are one transaction, invisible to other
// connections (and to a crash) until it commits at the end of the turn.
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import { writeBatchOf } from "./write-batch.ts";

let t: TmpDb;
let main: Database.Database;
let other: Database.Database;

const count = (db: Database.Database) => (db.prepare("select count(*) as n from kv").get() as { n: number }).n;

beforeEach(() => {
  t = tmpDb();
  main = t.db.$client;
  main.exec("create table kv (k text primary key, v text)");
  other = new Database(t.file, { readonly: true });
});
afterEach(() => {
  other.close();
  t.cleanup();
});

describe("write batch", () => {
  it("one turn's writes commit together at its end: another connection sees none before, all after", async () => {
    const writes = writeBatchOf(main);
    const before = writes.commits;
    const insert = main.prepare("insert into kv values (?, ?)");
    for (let i = 0; i < 50; i++) {
      writes.join();
      insert.run(`k${i}`, "v");
    }
    expect(writes.open).toBe(true);
    expect(count(other)).toBe(0);
    await writes.durable();
    expect(writes.open).toBe(false);
    expect(count(other)).toBe(50);
    expect(writes.commits - before).toBe(1);
  });

  it("commits without anyone waiting (setImmediate), and the next turn opens a new batch", async () => {
    const writes = writeBatchOf(main);
    writes.join();
    main.prepare("insert into kv values ('a', '1')").run();
    await new Promise((r) => setImmediate(r));
    expect(count(other)).toBe(1);
    writes.join();
    main.prepare("insert into kv values ('b', '2')").run();
    expect(count(other)).toBe(1);
    await writes.durable();
    expect(count(other)).toBe(2);
  });

  it("a caller's own transaction() inside the batch is a savepoint: its rollback undoes only its writes", async () => {
    const writes = writeBatchOf(main);
    writes.join();
    main.prepare("insert into kv values ('kept', '1')").run();
    const failing = main.transaction(() => {
      main.prepare("insert into kv values ('undone', '1')").run();
      throw new Error("boom");
    });
    expect(() => failing.immediate()).toThrow("boom");
    await writes.durable();
    expect(other.prepare("select k from kv").pluck().all()).toEqual(["kept"]);
  });

  it("a failed commit rolls the batch back, rejects its waiters and drops its afterCommit work; the next batch works", async () => {
    const writes = writeBatchOf(main);
    main.exec("create table parent (id integer primary key); create table child (p integer references parent(id) deferrable initially deferred)");
    main.pragma("foreign_keys = ON");
    const ran: string[] = [];
    writes.join();
    main.prepare("insert into kv values ('lost', '1')").run();
    main.prepare("insert into child values (42)").run(); // checked only at COMMIT: it fails there
    writes.afterCommit(() => ran.push("after"));
    await expect(writes.durable()).rejects.toThrow(/FOREIGN KEY/);
    expect(ran).toEqual([]);
    expect(main.inTransaction).toBe(false);
    expect(count(main)).toBe(0);
    writes.join();
    main.prepare("insert into kv values ('next', '1')").run();
    writes.afterCommit(() => ran.push("after next"));
    await writes.durable();
    expect(ran).toEqual(["after next"]);
    expect(count(other)).toBe(1);
  });

  it("flush() commits now; afterCommit runs at once when no batch is open", () => {
    const writes = writeBatchOf(main);
    const ran: string[] = [];
    writes.afterCommit(() => ran.push("now"));
    expect(ran).toEqual(["now"]);
    writes.join();
    main.prepare("insert into kv values ('a', '1')").run();
    writes.afterCommit(() => ran.push("after flush"));
    expect(ran).toEqual(["now"]);
    writes.flush();
    expect(ran).toEqual(["now", "after flush"]);
    expect(count(other)).toBe(1);
  });

  it("join() inside a caller's open transaction adds nothing: the writes commit with that transaction", () => {
    const writes = writeBatchOf(main);
    main.transaction(() => {
      writes.join();
      expect(writes.open).toBe(false);
      main.prepare("insert into kv values ('a', '1')").run();
    })();
    expect(count(other)).toBe(1);
  });
});
