// The audit tamper suite: an attacker with the database file but without the vault key edits it
// while the server is stopped; after the restart, /audit/verify (and an anchor kept elsewhere)
// must tell. Each case edits the real SQLite file with its own connection, triggers dropped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startTestServer, type TestServer } from "../support/server.ts";
import { writeBatchOf } from "../../server/db/write-batch.ts";

const VAULT_KEY = Buffer.alloc(32, 7).toString("base64");

interface Verify {
  ok: boolean;
  checked: number;
  total: number;
  firstBrokenId: number | null;
  reason: string | null;
  anchor?: { ok: boolean; count: number; reason: string | null };
}

describe("audit tamper suite (database file edited offline, without the key)", () => {
  let dir: string;
  let srv: TestServer | null = null;
  let key: string;

  const start = async () => {
    srv = await startTestServer({ dataDir: dir, env: { MESH_VAULT_KEY: VAULT_KEY } });
  };
  const stop = async () => {
    await srv?.stop();
    srv = null;
  };
  /** Opens the stopped server's file as the attacker would: no triggers to stop them. */
  const tamper = (fn: (db: Database.Database) => void) => {
    const db = new Database(join(dir, "team-mesh.db"));
    try {
      db.exec("drop trigger if exists audit_no_delete; drop trigger if exists audit_complete_once;");
      fn(db);
    } finally {
      db.close();
    }
  };
  const verify = async (anchor?: unknown): Promise<Verify> => {
    const r = anchor === undefined ? await srv!.api("GET", "/api/v1/audit/verify", undefined, { key }) : await srv!.api("POST", "/api/v1/audit/verify", { anchor }, { key });
    expect(r.status, r.text).toBe(200);
    return r.body as Verify;
  };
  /** Appends n final entries and one pending-then-completed send through the running server. */
  const seed = (n: number) => {
    const audit = srv!.running!.services.audit;
    for (let i = 0; i < n; i++) audit.append({ actor: "user:alice", kind: "send", outcome: "replied", teammate: "bob", message: `hello ${i}`, reply: `reply ${i}` });
    const p = audit.append({ actor: "user:alice", kind: "send", outcome: "pending", teammate: "carol", message: "the secret plan" });
    audit.complete(p.id, { outcome: "replied", reply: "carol's answer", runId: "run-9" });
    // committed now, not at the end of this turn: the test edits the file from another connection next
    writeBatchOf(srv!.running!.services.db.$client).flush();
    return p.id;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mesh-tamper-"));
    await start();
    key = await srv!.keyFor("auditor"); // kept in the file: valid after every restart
  });
  afterEach(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an untouched trail verifies across restarts", async () => {
    seed(5);
    const before = await verify();
    expect(before).toMatchObject({ ok: true, firstBrokenId: null, reason: null });
    expect(before.checked).toBe(before.total);
    await stop();
    await start();
    expect(await verify()).toMatchObject({ ok: true });
  });

  it("(a) the newest entries cut off and the head rewritten to the earlier end (old format, no MAC)", async () => {
    seed(6);
    await stop();
    tamper((db) => {
      const max = (db.prepare("select max(id) as n from audit_entries").get() as { n: number }).n;
      const keep = max - 3;
      const row = db.prepare("select id, hash from audit_entries where id = ?").get(keep) as { id: number; hash: string };
      db.prepare("delete from audit_entries where id > ?").run(keep);
      db.prepare("update settings set value = ? where key = 'audit_head'").run(JSON.stringify({ id: row.id, hash: row.hash }));
    });
    await start();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/head/i);
    // and the next writes do not make it go away
    seed(1);
    expect((await verify()).ok).toBe(false);
  });

  it("(a') the head rewritten with a made-up MAC, or its pending count lowered", async () => {
    seed(3);
    await stop();
    tamper((db) => {
      const head = JSON.parse((db.prepare("select value from settings where key = 'audit_head'").get() as { value: string }).value) as Record<string, unknown>;
      db.prepare("update settings set value = ? where key = 'audit_head'").run(JSON.stringify({ ...head, id: (head.id as number) - 1, mac: "0".repeat(64) }));
    });
    await start();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/altered|MAC/);
  });

  it("(a'') cut entries with an older head replayed: only an anchor kept elsewhere can tell, and it does", async () => {
    seed(3);
    const oldHead = (() => {
      let value = "";
      tamper((db) => {
        value = (db.prepare("select value from settings where key = 'audit_head'").get() as { value: string }).value;
      });
      return value;
    })();
    const cutAt = (JSON.parse(oldHead) as { id: number }).id;
    seed(4);
    const anchor = (await srv!.api("GET", "/api/v1/audit/head", undefined, { key })).body as { count: number; hash: string };
    expect(anchor.count).toBeGreaterThan(cutAt);
    expect(await verify(anchor)).toMatchObject({ ok: true, anchor: { ok: true, count: anchor.count } });
    await stop();
    tamper((db) => {
      db.prepare("delete from audit_entries where id > ?").run(cutAt);
      db.prepare("update settings set value = ? where key = 'audit_head'").run(oldHead);
    });
    await start();
    // the file alone is consistent again (a rollback), the anchor is not
    const v = await verify(anchor);
    expect(v.ok).toBe(false);
    expect(v.anchor).toMatchObject({ ok: false, count: anchor.count });
    expect(v.reason).toMatch(/removed/);
  });

  it("(b) every entry and the head row deleted", async () => {
    seed(4);
    await stop();
    tamper((db) => {
      db.exec("delete from audit_entries; delete from settings where key = 'audit_head';");
    });
    await start();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/emptied|missing/);
    seed(2);
    expect((await verify()).ok).toBe(false);
  });

  it("(b') every entry, the head and the audit key deleted: a new trail starts, flagged", async () => {
    seed(4);
    await stop();
    tamper((db) => {
      db.exec("delete from audit_entries; delete from settings where key in ('audit_head', 'sealed:audit_key');");
    });
    await start();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/emptied/);
  });

  it("(c) a completed send turned back into pending: start-up does not seal it as interrupted, verify flags it", async () => {
    const id = seed(2);
    await stop();
    tamper((db) => {
      db.prepare("update audit_entries set outcome = 'pending', run_id = null, reply = null, latency_ms = null, completed_at = null, completion_hash = null where id = ?").run(id);
    });
    await start();
    const entry = (await srv!.api("GET", `/api/v1/audit/${id}`, undefined, { key })).body as { outcome: string };
    expect(entry.outcome).toBe("pending");
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/turned back into pending/);
  });

  it("a crash leaves a pending entry: start-up seals it as interrupted and the trail still verifies", async () => {
    seed(1);
    const p = srv!.running!.services.audit.append({ actor: "user:alice", kind: "send", outcome: "pending", teammate: "bob", message: "in flight" });
    await stop(); // a graceful stop leaves the pending entry as a crash would (nothing completes it)
    await start();
    const entry = (await srv!.api("GET", `/api/v1/audit/${p.id}`, undefined, { key })).body as { outcome: string };
    expect(entry.outcome).toBe("interrupted");
    expect(await verify()).toMatchObject({ ok: true });
  });

  it.each([
    ["a message edited", "update audit_entries set message = 'forged' where id = 2", /altered/],
    ["a reply edited", "update audit_entries set reply = 'forged' where id = 3", /altered/],
    ["an actor edited", "update audit_entries set actor = 'user:mallory' where id = 1", /altered/],
    ["a row in the middle deleted", "delete from audit_entries where id = 3", /removed|missing/],
    [
      "a row inserted in the middle",
      "insert into audit_entries(id, at, actor, kind, prev_hash, hash, outcome) select 100000, at, actor, kind, prev_hash, hash, outcome from audit_entries where id = 2",
      /follow|removed|added|missing/,
    ],
  ])("%s", async (_name, statement, reason) => {
    seed(4);
    await stop();
    tamper((db) => db.exec(statement));
    await start();
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(reason);
  });

  it("anchors: signed, checked, and a changed anchor is refused", async () => {
    seed(2);
    const r = await srv!.api("GET", "/api/v1/audit/head", undefined, { key });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    const anchor = r.body as { count: number; hash: string; at: string; algorithm: string; publicKey: string; signature: string };
    expect(anchor).toMatchObject({ algorithm: "Ed25519", count: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // checkable offline with the public key alone
    const { createPublicKey, verify: edVerify } = await import("node:crypto");
    const pub = createPublicKey({ key: Buffer.from(anchor.publicKey, "base64"), format: "der", type: "spki" });
    const text = `team-mesh-audit-anchor/v1\n${JSON.stringify({ at: anchor.at, count: anchor.count, hash: anchor.hash })}`;
    expect(edVerify(null, Buffer.from(text), pub, Buffer.from(anchor.signature, "base64"))).toBe(true);

    seed(1); // the trail goes on growing: the old anchor still holds
    expect(await verify(anchor)).toMatchObject({ ok: true, anchor: { ok: true } });
    const moved = await verify({ ...anchor, count: anchor.count - 1 });
    expect(moved).toMatchObject({ ok: false, anchor: { ok: false } });
    expect(moved.reason).toMatch(/signature/);
    const bad = await srv!.api("POST", "/api/v1/audit/verify", { anchor: { count: "x" } }, { key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    const requester = await srv!.keyFor("requester");
    expect((await srv!.api("GET", "/api/v1/audit/head", undefined, { key: requester })).status).toBe(403);
  });
});
