import { randomBytes } from "node:crypto";
import { createAuditLog, toFtsQuery, csvCell, csvRow, decodeCursor } from "./index.ts";
import type { AuditLog } from "./types.ts";
import type { AuditEntry } from "../../shared/api/audit.ts";
import { createVault } from "../vault/index.ts";
import type { Vault } from "../vault/types.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

let t: TmpDb;
let vault: Vault;
let log: AuditLog;
const key = randomBytes(32);
beforeEach(() => {
  t = tmpDb();
  vault = createVault(t.db, key);
  log = createAuditLog({ db: t.db, vault });
});
afterEach(() => t.cleanup());

const sql = () => t.db.$client;
/** An attacker with write access to the file: drops the guards first. */
function dropGuards() {
  sql().exec("drop trigger audit_no_delete; drop trigger audit_complete_once;");
}

function seed(n: number) {
  for (let i = 1; i <= n; i++) log.append({ actor: "user:alice", kind: "send", outcome: "replied", teammate: i % 2 ? "bob" : "carol", message: `hello ${i}`, reply: `reply ${i}` });
}

describe("audit append and chain", () => {
  it("computes bytes and sha256 of the message and chains hashes from genesis", async () => {
    const a = log.append({ actor: "user:alice", kind: "send", outcome: "pending", teammate: "bob", message: "héllo ✓" });
    expect(a.messageBytes).toBe(Buffer.byteLength("héllo ✓"));
    expect(a.messageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.outcome).toBe("pending");
    expect(a.completedAt).toBeNull();
    const b = log.append({ actor: "system", kind: "system", outcome: "ok", details: { b: 1, a: [2, { y: 1, x: 2 }] } });
    const rows = sql().prepare("select id, prev_hash, hash from audit_entries order by id").all() as { id: number; prev_hash: string; hash: string }[];
    expect(rows[0]?.prev_hash).toBe("0".repeat(64));
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    expect(b.details).toEqual({ a: [2, { x: 2, y: 1 }], b: 1 });
    expect(await log.verify()).toEqual({ ok: true, checked: 2, total: 2, firstBrokenId: null, reason: null });
  });

  it("completes a pending entry exactly once; interruptPending finishes the rest", async () => {
    const a = log.append({ actor: "user:alice", kind: "send", outcome: "pending", message: "m1" });
    const b = log.append({ actor: "user:alice", kind: "send", outcome: "pending", message: "m2" });
    const done = log.complete(a.id, { outcome: "replied", reply: "r1", runId: "run-1", latencyMs: 12 });
    expect(done.outcome).toBe("replied");
    expect(done.reply).toBe("r1");
    expect(done.completedAt).not.toBeNull();
    expect(() => log.complete(a.id, { outcome: "error" })).toThrow(/already completed/);
    expect(() => log.complete(999, { outcome: "error" })).toThrow(/does not exist/);
    expect(log.interruptPending()).toBe(1);
    expect(log.get(b.id)?.outcome).toBe("interrupted");
    expect(log.interruptPending()).toBe(0);
    expect((await log.verify()).ok).toBe(true);
  });

  it("a completed entry turned back into 'pending' is not resealed as interrupted, and verify flags it", async () => {
    const a = log.append({ actor: "user:alice", kind: "send", outcome: "pending", message: "m1" });
    log.complete(a.id, { outcome: "replied", reply: "the reply" });
    dropGuards();
    sql().prepare("update audit_entries set outcome = 'pending' where id = ?").run(a.id);
    expect(log.interruptPending()).toBe(0);
    expect(() => log.complete(a.id, { outcome: "error" })).toThrow(/reverted/);
    expect(log.get(a.id)?.reply).toBe("the reply");
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: a.id });
  });

  it("calls onAppend / onComplete", () => {
    const seen: string[] = [];
    const l2 = createAuditLog({ db: t.db, vault, onAppend: (e) => seen.push(`a${e.id}`), onComplete: (e) => seen.push(`c${e.id}`) });
    const e = l2.append({ actor: "x", kind: "send", outcome: "pending" });
    l2.complete(e.id, { outcome: "timeout" });
    expect(seen).toEqual([`a${e.id}`, `c${e.id}`]);
  });

  it("keeps the chain key sealed in settings and reuses it after a restart", async () => {
    seed(3);
    await log.durable(); // another connection sees the entries once their batch is committed
    const raw = sql().prepare("select value from settings where key = 'sealed:audit_key'").get() as { value: string };
    expect(raw.value).not.toContain(vault.openSetting("audit_key")?.toString("base64"));
    const again = createAuditLog({ db: t.reopen(), vault: createVault(t.reopen(), key) });
    again.append({ actor: "x", kind: "system", outcome: "ok" });
    expect(await again.verify()).toMatchObject({ ok: true, checked: 4 });
  });
});

describe("upgrade from a trail whose head had no MAC", () => {
  /** Turns the current trail into what the previous version left: a 32-byte key, a {id, hash} head. */
  function makeLegacy() {
    const sealed = vault.openSetting("audit_key") as Buffer;
    expect(sealed.length).toBe(33); // version byte + key
    vault.sealSetting("audit_key", sealed.subarray(1));
    const head = JSON.parse((sql().prepare("select value from settings where key = 'audit_head'").get() as { value: string }).value) as { id: number; hash: string };
    sql().prepare("update settings set value = ? where key = 'audit_head'").run(JSON.stringify({ id: head.id, hash: head.hash }));
  }

  it("a matching old head is upgraded on start (no false alarm), and from then on an old-format head is a tamper", async () => {
    seed(3);
    const p = log.append({ actor: "u", kind: "send", outcome: "pending", message: "left pending by the old version" });
    makeLegacy();
    const upgraded = createAuditLog({ db: t.db, vault });
    expect(await upgraded.verify()).toMatchObject({ ok: true, checked: 4 });
    expect(upgraded.interruptPending()).toBe(1); // the pending count was taken from the table at upgrade
    expect(upgraded.get(p.id)?.outcome).toBe("interrupted");
    expect((vault.openSetting("audit_key") as Buffer).length).toBe(33);
    // a downgrade written later (by someone without the key) is refused
    const head = JSON.parse((sql().prepare("select value from settings where key = 'audit_head'").get() as { value: string }).value) as { id: number; hash: string };
    sql().prepare("update settings set value = ? where key = 'audit_head'").run(JSON.stringify({ id: head.id, hash: head.hash }));
    expect((await upgraded.verify()).reason).toMatch(/old format/);
    upgraded.append({ actor: "u", kind: "system", outcome: "ok" });
    expect((await createAuditLog({ db: t.db, vault }).verify()).ok).toBe(false);
  });

  it("an old head that does not match the table is reported at the upgrade", async () => {
    seed(4);
    makeLegacy();
    dropGuards();
    sql().prepare("delete from audit_entries where id = 4").run();
    const upgraded = createAuditLog({ db: t.db, vault });
    const v = await upgraded.verify();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/removed from the end/);
  });
});

describe("database guards (triggers)", () => {
  it("refuse deletes, edits of final entries and a second completion", async () => {
    const a = log.append({ actor: "u", kind: "send", outcome: "replied", message: "m", reply: "r" });
    const p = log.append({ actor: "u", kind: "send", outcome: "pending", message: "m" });
    expect(() => sql().prepare("delete from audit_entries where id = ?").run(a.id)).toThrow(/append-only/);
    expect(() => sql().prepare("update audit_entries set reply = 'x' where id = ?").run(a.id)).toThrow(/append-only/);
    expect(() => sql().prepare("update audit_entries set message = 'x', outcome = 'ok' where id = ?").run(p.id)).toThrow(/append-only/);
    log.complete(p.id, { outcome: "replied", reply: "r" });
    expect(() => sql().prepare("update audit_entries set reply = 'changed' where id = ?").run(p.id)).toThrow(/append-only/);
    expect((await log.verify()).ok).toBe(true);
  });
});

describe("verify detects tampering", () => {
  it("an edited message", async () => {
    seed(5);
    dropGuards();
    sql().prepare("update audit_entries set message = 'forged' where id = 3").run();
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: 3, checked: 2 });
    expect((await log.verify()).reason).toMatch(/altered/);
  });

  it("an edited reply of a completed entry", async () => {
    const p = log.append({ actor: "u", kind: "send", outcome: "pending", message: "m" });
    log.complete(p.id, { outcome: "replied", reply: "yes" });
    seed(2);
    dropGuards();
    sql().prepare("update audit_entries set reply = 'no' where id = ?").run(p.id);
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: p.id });
    expect((await log.verify()).reason).toMatch(/after completion/);
  });

  it("an edited reply of an entry appended final, and an outcome flipped back to pending", async () => {
    seed(3);
    dropGuards();
    sql().prepare("update audit_entries set reply = 'other' where id = 2").run();
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: 2 });
    sql().prepare("update audit_entries set reply = 'reply 2' where id = 2").run();
    expect((await log.verify()).ok).toBe(true);
    sql().prepare("update audit_entries set outcome = 'pending', reply = null, run_id = null, completed_at = null, completion_hash = null where id = 2").run();
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: 2 });
  });

  it("a deleted row (gap in prev_hash)", async () => {
    seed(5);
    dropGuards();
    sql().prepare("delete from audit_entries where id = 3").run();
    const v = await log.verify();
    expect(v).toMatchObject({ ok: false, firstBrokenId: 4, checked: 2 });
    expect(v.reason).toMatch(/removed/);
  });

  it("rows cut off the end", async () => {
    seed(4);
    dropGuards();
    sql().prepare("delete from audit_entries where id = 4").run();
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: 4, checked: 3 });
  });

  it("a row re-hashed without the key", async () => {
    seed(3);
    dropGuards();
    sql().prepare("update audit_entries set actor = 'user:mallory', hash = ? where id = 2").run("f".repeat(64));
    expect(await log.verify()).toMatchObject({ ok: false, firstBrokenId: 2 });
  });
});

describe("query", () => {
  it("filters, pages newest first with an opaque cursor", () => {
    seed(7);
    log.append({ actor: "key:ci", kind: "ping", outcome: "unreachable", teammate: "bob" });
    const p1 = log.query({ limit: 3 });
    expect(p1.items.map((e) => e.id)).toEqual([8, 7, 6]);
    expect(p1.nextCursor).toBeTruthy();
    expect(p1.nextCursor).not.toBe("6");
    const p2 = log.query({ limit: 3, cursor: p1.nextCursor as string });
    expect(p2.items.map((e) => e.id)).toEqual([5, 4, 3]);
    const p3 = log.query({ limit: 3, cursor: p2.nextCursor as string });
    expect(p3.items.map((e) => e.id)).toEqual([2, 1]);
    expect(p3.nextCursor).toBeNull();
    expect(log.query({ teammate: "BOB" }).items.every((e) => e.teammate === "bob")).toBe(true);
    expect(log.query({ teammate: "bob" }).items).toHaveLength(5);
    expect(log.query({ actor: "key:ci" }).items.map((e) => e.id)).toEqual([8]);
    expect(log.query({ kind: "ping,registry" }).items.map((e) => e.id)).toEqual([8]);
    expect(log.query({ kind: ["send"], outcome: ["replied"] }).items).toHaveLength(7);
    expect(log.query({ outcome: "unreachable" }).items.map((e) => e.id)).toEqual([8]);
    expect(() => log.query({ cursor: "!!" })).toThrow(/cursor/i);
    expect(() => log.query({ kind: "nope" })).toThrow(/Invalid/);
  });

  it("filters by time, broadcast and message id", () => {
    let now = 1_000_000;
    const l2 = createAuditLog({ db: t.db, vault, now: () => now });
    l2.append({ actor: "a", kind: "broadcast", outcome: "ok", broadcastId: "b1" });
    now = 2_000_000;
    l2.append({ actor: "a", kind: "send", outcome: "ok", messageId: "m1", broadcastId: "b1" });
    now = 3_000_000;
    l2.append({ actor: "a", kind: "send", outcome: "ok", messageId: "m2" });
    const at = (ms: number) => new Date(ms).toISOString();
    expect(l2.query({ from: at(2_000_000) }).items.map((e) => e.id)).toEqual([3, 2]);
    expect(l2.query({ to: at(2_000_000) }).items.map((e) => e.id)).toEqual([2, 1]);
    expect(l2.query({ broadcastId: "b1" }).items.map((e) => e.id)).toEqual([2, 1]);
    expect(l2.query({ messageId: "m2" }).items.map((e) => e.id)).toEqual([3]);
  });

  it("searches message and reply with FTS; hostile input never errors", () => {
    log.append({ actor: "a", kind: "send", outcome: "replied", message: "deploy the release tonight", reply: "on it" });
    log.append({ actor: "a", kind: "send", outcome: "replied", message: "lunch?", reply: "the release notes are ready" });
    log.append({ actor: "a", kind: "send", outcome: "replied", message: "unrelated", reply: "nothing" });
    expect(log.query({ q: "release" }).items.map((e) => e.id)).toEqual([2, 1]);
    expect(log.query({ q: "release tonight" }).items.map((e) => e.id)).toEqual([1]);
    expect(log.query({ q: "rel*" }).items.map((e) => e.id)).toEqual([2, 1]);
    for (const bad of ['"', "AND OR NOT", "release)", "message:x", "(((", "NEAR(", "*", "-release", "a\"b", "^x"]) {
      expect(() => log.query({ q: bad })).not.toThrow();
    }
    expect(log.query({ q: "message:release" }).items).toHaveLength(0);
    expect(log.query({ q: "   " }).items).toHaveLength(3);
  });

  it("sanitises FTS input into quoted terms", () => {
    expect(toFtsQuery('say "hi" now*')).toBe('"say" """hi""" "now"*');
    expect(toFtsQuery("OR")).toBe('"OR"');
    expect(toFtsQuery("( ) *")).toBeNull();
    // NUL ends an FTS5 query early ("unterminated string"): control characters separate terms
    expect(toFtsQuery("a\u0000b")).toBe('"a" "b"');
    expect(toFtsQuery("x\u001fy\u007fz")).toBe('"x" "y" "z"');
  });

  it("cursor is base64 of the id", async () => {
    expect(decodeCursor(Buffer.from("42").toString("base64url"))).toBe(42);
    expect(() => decodeCursor(Buffer.from("0").toString("base64url"))).toThrow();
  });
});

describe("export", () => {
  async function collect(it: AsyncIterable<string>): Promise<string[]> {
    const out: string[] = [];
    for await (const c of it) out.push(c);
    return out;
  }

  it("escapes CSV cells", () => {
    expect(csvCell('a "quoted", value')).toBe('"a ""quoted"", value"');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(null)).toBe("");
    expect(csvCell(12)).toBe("12");
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvRow(["a", "b,c"])).toBe('a,"b,c"\r\n');
  });

  it("defuses spreadsheet formulas in CSV text cells (replies are untrusted)", () => {
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell("+1+1")).toBe("'+1+1");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell(-2)).toBe("-2"); // numbers stay numbers
    expect(csvCell("a=b")).toBe("a=b");
  });

  it("streams NDJSON and CSV in id order with the filters", async () => {
    log.append({ actor: "a", kind: "send", outcome: "replied", teammate: "bob", message: 'he said "hi",\nthen left', reply: "ok" });
    log.append({ actor: "a", kind: "ping", outcome: "ok", teammate: "carol" });
    log.append({ actor: "a", kind: "send", outcome: "replied", teammate: "bob", message: "second" });
    const nd = (await collect(log.export({ teammate: "bob" }, "ndjson"))).join("");
    const lines = nd.trim().split("\n").map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((e) => e.id)).toEqual([1, 3]);
    expect(lines[0]?.message).toBe('he said "hi",\nthen left');
    const csv = (await collect(log.export({}, "csv"))).join("");
    const [header, ...rest] = csv.split("\r\n");
    expect(header?.split(",").slice(0, 4)).toEqual(["id", "at", "actor", "kind"]);
    expect(csv).toContain('"he said ""hi"",\nthen left"');
    expect(rest.filter(Boolean)).toHaveLength(3);
  });

  it("reads in chunks: 1,200 rows arrive in several chunks, all of them, lazily", async () => {
    const insert = t.db.$client.transaction(() => {
      for (let i = 0; i < 1200; i++) log.append({ actor: "a", kind: "send", outcome: "ok", message: `m${i}` });
    });
    insert();
    const it = log.export({}, "ndjson")[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect((first.value as string).trim().split("\n")).toHaveLength(500);
    const chunks = [first.value as string];
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      chunks.push(n.value);
    }
    expect(chunks.length).toBe(3);
    const ids = chunks.join("").trim().split("\n").map((l) => (JSON.parse(l) as AuditEntry).id);
    expect(ids).toHaveLength(1200);
    expect(ids[1199]).toBe(1200);
    expect(await log.verify()).toMatchObject({ ok: true, checked: 1200 });
  });

  it("export and verify give the event loop turns while they run (a fast reader gets no turn of its own)", async () => {
    sql().transaction(() => {
      for (let i = 0; i < 20_000; i++) log.append({ actor: "a", kind: "send", outcome: "replied", message: `m${i}`, reply: `r${i}` });
    })();
    let turns = 0;
    let on = true;
    const tick = () => {
      turns++;
      if (on) setImmediate(tick);
    };
    setImmediate(tick);
    const started = turns;
    let rows = 0;
    for await (const chunk of log.export({}, "ndjson")) rows += chunk.split("\n").length - 1;
    const duringExport = turns - started;
    const beforeVerify = turns;
    const v = await log.verify();
    const duringVerify = turns - beforeVerify;
    on = false;
    expect(rows).toBe(20_000);
    expect(v).toMatchObject({ ok: true, checked: 20_000 });
    expect(duringExport).toBeGreaterThan(0);
    expect(duringVerify).toBeGreaterThan(0);
  });
});
