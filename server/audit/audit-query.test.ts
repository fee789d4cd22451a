// Audit queries at their boundaries: time ranges (inclusive ends, a clock that steps back),
// cursor pages that return every match exactly once, full-text pages combined with filters,
// and query plans that read along an index instead of collecting and sorting every match.
import { randomBytes } from "node:crypto";
import { createAuditLog } from "./index.ts";
import type { AuditLog } from "./types.ts";
import type { AuditQuery } from "../../shared/api/audit.ts";
import { createVault } from "../vault/index.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

let t: TmpDb;
let log: AuditLog;
let clock = 0;
const T0 = Date.parse("2026-11-01T00:00:00.000Z");
const MIN = 60_000;

beforeEach(() => {
  t = tmpDb();
  clock = T0;
  log = createAuditLog({ db: t.db, vault: createVault(t.db, randomBytes(32)), now: () => clock });
});
afterEach(() => t.cleanup());

/** Every page of a query, following cursors; returns the ids in order. */
function allPages(q: AuditQuery): number[] {
  const ids: number[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = log.query({ ...q, cursor });
    ids.push(...page.items.map((e) => e.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error("too many pages");
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("time ranges", () => {
  beforeEach(() => {
    // one entry a minute for 100 minutes, alternating teammates; every 7th mentions "deploy"
    for (let i = 0; i < 100; i++) {
      clock = T0 + i * MIN;
      log.append({ actor: "user:alice", kind: "send", outcome: "replied", teammate: i % 2 ? "bob" : "carol", message: i % 7 === 0 ? `deploy ${i}` : `note ${i}`, reply: "ok" });
    }
  });

  it("both ends are inclusive; pages of a range return each entry once, newest first", () => {
    const ids = allPages({ from: iso(T0 + 10 * MIN), to: iso(T0 + 29 * MIN), limit: 7 });
    expect(ids).toEqual(Array.from({ length: 20 }, (_, k) => 30 - k)); // entries 11..30 (ids are 1-based)
  });

  it("open-ended ranges, empty ranges and ranges outside the trail", () => {
    expect(allPages({ from: iso(T0 + 95 * MIN), limit: 2 })).toEqual([100, 99, 98, 97, 96]);
    expect(allPages({ to: iso(T0 + 2 * MIN), limit: 2 })).toEqual([3, 2, 1]);
    expect(allPages({ from: iso(T0 + 10 * MIN + 1), to: iso(T0 + 11 * MIN - 1) })).toEqual([]);
    expect(allPages({ from: iso(T0 + 1000 * MIN) })).toEqual([]);
    expect(allPages({ to: iso(T0 - 1) })).toEqual([]);
    expect(allPages({ from: iso(T0 + 50 * MIN), to: iso(T0 + 40 * MIN) })).toEqual([]);
  });

  it("combined with a teammate and with a search", () => {
    expect(allPages({ teammate: "bob", from: iso(T0 + 10 * MIN), to: iso(T0 + 19 * MIN), limit: 2 })).toEqual([20, 18, 16, 14, 12]);
    // "deploy" at i = 0, 7, 14, 21, 28, 35 … → ids i+1
    expect(allPages({ q: "deploy", from: iso(T0 + 7 * MIN), to: iso(T0 + 28 * MIN), limit: 2 })).toEqual([29, 22, 15, 8]);
    expect(allPages({ q: "deploy", teammate: "carol", limit: 3 })).toEqual([99, 85, 71, 57, 43, 29, 15, 1]);
  });

  it("a clock that steps back never makes an entry older than the one before it", () => {
    clock = T0 + 5 * MIN; // back by 94 minutes
    const e = log.append({ actor: "system", kind: "system", outcome: "ok" });
    expect(Date.parse(e.at)).toBe(T0 + 99 * MIN);
    expect(allPages({ from: iso(T0 + 99 * MIN), limit: 1 })).toEqual([101, 100]);
    expect(allPages({ to: iso(T0 + 5 * MIN), limit: 50 })).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it("entries written before that rule, out of time order, are still filtered exactly by time", () => {
    // an old trail's row whose time went back (the chain does not cover ordering; only `at` matters here)
    t.db.$client.exec("drop trigger audit_complete_once");
    t.db.$client.prepare("update audit_entries set at = ? where id = 50").run(T0 + 200 * MIN);
    const late = allPages({ from: iso(T0 + 150 * MIN) });
    expect(late).not.toContain(49);
    const mid = allPages({ from: iso(T0 + 40 * MIN), to: iso(T0 + 60 * MIN) });
    expect(mid).not.toContain(50); // its time is outside the range, whatever its id
    expect(mid).toContain(51);
  });
});

describe("query plans: a page costs the page", () => {
  const plan = (q: AuditQuery): string => {
    const stmt = t.db.$client.prepare("explain query plan select 1"); // ensure the connection works
    expect(stmt).toBeTruthy();
    const captured: string[] = [];
    const original = t.db.$client.prepare.bind(t.db.$client);
    const spy = vi.spyOn(t.db.$client, "prepare").mockImplementation((source: string) => {
      // the page query selects every column (the id-range look-ups are prepared at start)
      if (/^select .*"completion_hash" from "audit_(entries|fts)"/.test(source)) captured.push(source);
      return original(source);
    });
    try {
      log.query(q);
    } finally {
      spy.mockRestore();
    }
    const source = captured[0];
    if (!source) throw new Error("no page query was prepared");
    const params: unknown[] = [];
    const rows = t.db.$client.prepare(`explain query plan ${source}`).all(...new Array((source.match(/\?/g) ?? []).length).fill(0).map((_, i) => params[i] ?? 0)) as { detail: string }[];
    return rows.map((r) => r.detail).join("\n");
  };

  beforeEach(() => {
    for (let i = 0; i < 20; i++) log.append({ actor: "a", kind: "send", outcome: "ok", teammate: "bob", message: `m ${i}` });
    t.db.$client.exec("analyze");
  });

  it("a time range reads along the primary key, without sorting", () => {
    const p = plan({ from: iso(T0), to: iso(T0 + MIN), limit: 10 });
    expect(p).toMatch(/USING INTEGER PRIMARY KEY|USING INDEX/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it.each([
    [{ teammate: "bob" }, "audit_teammate"],
    [{ messageId: "m-1" }, "audit_message"],
    [{ broadcastId: "b-1" }, "audit_broadcast"],
  ] as const)("%o reads its (partial) index", (q, index) => {
    expect(plan({ ...q, limit: 10 })).toContain(`USING INDEX ${index}`);
  });

  it("a search reads the full-text index in rowid order, without sorting", () => {
    const p = plan({ q: "m", limit: 10 });
    expect(p).toMatch(/VIRTUAL TABLE INDEX/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });
});
