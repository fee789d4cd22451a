// An answer leaves only once what its request wrote is committed; a commit the database refuses
// turns it into a clear 500 (INTERNAL), and nothing of the request is kept.
import Database from "better-sqlite3";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { loadConfig } from "../config.ts";
import { writeBatchOf } from "../db/write-batch.ts";
import { createLogger } from "../logger.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import { durableWrites, errorHandler } from "./middleware.ts";

let t: TmpDb;
let other: Database.Database;
const logs: string[] = [];

function app() {
  const main = t.db.$client;
  const writes = writeBatchOf(main);
  const logger = createLogger(loadConfig({ MESH_DATA_DIR: t.dir, MESH_LOG_PRETTY: "0" }), new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const a = new Hono();
  a.onError(errorHandler(logger));
  a.use("*", durableWrites(writes, logger));
  a.post("/kv/:k", (c) => {
    writes.join();
    main.prepare("insert into kv values (?, 'v')").run(c.req.param("k"));
    // a row that breaks a deferred foreign key: the commit at the end of the turn fails
    if (c.req.query("orphan")) main.prepare("insert into child values (42)").run();
    return c.json({ ok: true }, 201);
  });
  return a;
}

const committed = () => other.prepare("select k from kv order by k").pluck().all();

beforeEach(() => {
  t = tmpDb();
  t.db.$client.exec("create table kv (k text primary key, v text); create table parent (id integer primary key); create table child (p integer references parent(id) deferrable initially deferred)");
  t.db.$client.pragma("foreign_keys = ON");
  other = new Database(t.file, { readonly: true });
  logs.length = 0;
});
afterEach(() => {
  other.close();
  t.cleanup();
});

describe("durable writes middleware", () => {
  it("the answer comes once the request's write is committed: another connection sees it then", async () => {
    const res = await app().request("/kv/a", { method: "POST" });
    expect(res.status).toBe(201);
    expect(committed()).toEqual(["a"]);
  });

  it("a commit the database refuses: 500 INTERNAL with a clear message, the write not kept, the error logged", async () => {
    const res = await app().request("/kv/b?orphan=1", { method: "POST" });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: "INTERNAL", message: expect.stringMatching(/could not be saved/) } });
    expect(committed()).toEqual([]);
    expect(t.db.$client.inTransaction).toBe(false);
    expect(logs.join("")).toMatch(/commit failed/);
    const next = await app().request("/kv/c", { method: "POST" });
    expect(next.status).toBe(201);
    expect(committed()).toEqual(["c"]);
  });
});
