// The conversation query on a real database: keyset paging at equal timestamps, filters, search,
// and the plan (newest first through messages_created, no full sort of the table).
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import { messages } from "../db/schema.ts";
import { decodeCursor, encodeCursor, filteredMessages, filteredMessagesQuery, type MessageFilter } from "./conversation-query.ts";

let t: TmpDb;
beforeEach(() => {
  t = tmpDb();
});
afterEach(() => t.cleanup());

const row = (id: string, createdAt: number, handle = "bob", session = "main", message = `msg ${id}`, reply: string | null = `re ${id}`): typeof messages.$inferInsert => ({
  id,
  handle,
  session,
  createdAt,
  rounds: 1,
  timeoutSec: 60,
  status: "replied",
  exchanges: [{ round: 1, message, messageBytes: 1, status: "replied", reply, replyFullBytes: null, runId: null, latencyMs: 1, error: null, auditId: null }],
  warnings: [],
  actor: { kind: "user", name: "admin", role: "admin" },
});

const ids = (f: MessageFilter) => filteredMessages(t.db, f).rows.map((r) => r.id);

/** Every page until the end, following nextCursor. */
function allPages(f: Omit<MessageFilter, "before">): string[][] {
  const pages: string[][] = [];
  let before: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = filteredMessages(t.db, { ...f, before });
    pages.push(page.rows.map((r) => r.id));
    if (!page.nextCursor) return pages;
    before = page.nextCursor;
  }
  throw new Error("paging did not end");
}

it("pages newest first by (time, id): rows with the same timestamp are neither skipped nor repeated", () => {
  // five at the same millisecond, one older, one newer
  t.db.insert(messages).values([row("a", 1000), row("c", 2000), row("e", 2000), row("b", 2000), row("d", 2000), row("f", 2000), row("z", 3000)]).run();
  expect(allPages({ limit: 2 })).toEqual([["z", "f"], ["e", "d"], ["c", "b"], ["a"]]);
  expect(allPages({ limit: 7 })).toEqual([["z", "f", "e", "d", "c", "b", "a"]]);
  // a page exactly as large as what is left has no next cursor
  expect(filteredMessages(t.db, { limit: 7 }).nextCursor).toBeNull();
  expect(filteredMessages(t.db, { limit: 6 }).nextCursor).not.toBeNull();
  expect(allPages({ limit: 1 }).flat()).toEqual(["z", "f", "e", "d", "c", "b", "a"]);
});

it("filters by teammate (case-insensitive) and session, and searches message and reply text", () => {
  t.db
    .insert(messages)
    .values([
      row("1", 1, "bob", "main", "Deploy the API", "done"),
      row("2", 2, "bob", "ops", "status?", "100% green_ok"),
      row("3", 3, "carol", "main", "deploy too", null),
      row("4", 4, "bob", "main", 'say "héllo"', "ok"),
    ])
    .run();
  expect(ids({ limit: 10, handle: "BOB" })).toEqual(["4", "2", "1"]);
  expect(ids({ limit: 10, handle: "bob", session: "main" })).toEqual(["4", "1"]);
  expect(ids({ limit: 10, handle: "nobody" })).toEqual([]);
  expect(ids({ limit: 10, q: "DEPLOY" })).toEqual(["3", "1"]);
  expect(ids({ limit: 10, handle: "bob", q: "deploy" })).toEqual(["1"]);
  expect(ids({ limit: 10, q: "green" })).toEqual(["2"]); // in the reply
  expect(ids({ limit: 10, q: '"héllo"' })).toEqual(["4"]); // the decoded text, not the JSON
  // % and _ are literal, not wildcards
  expect(ids({ limit: 10, q: "0% g" })).toEqual(["2"]);
  expect(ids({ limit: 10, q: "%" })).toEqual(["2"]);
  expect(ids({ limit: 10, q: "n_o" })).toEqual(["2"]);
  expect(ids({ limit: 10, q: "d_ne" })).toEqual([]);
});

it("refuses a cursor it did not give out, with BAD_REQUEST", () => {
  for (const bad of ["nope", Buffer.from("x:abc").toString("base64url"), Buffer.from("12").toString("base64url"), Buffer.from("5:").toString("base64url")]) {
    expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: "BAD_REQUEST" }));
  }
  expect(decodeCursor(encodeCursor({ createdAt: 42, id: "ab:cd" }))).toEqual({ at: 42, id: "ab:cd" });
});

it("a teammate's page walks messages_created newest first, without sorting the table", () => {
  const q = filteredMessagesQuery(t.db, { limit: 50, handle: "bob", session: "main", before: encodeCursor({ createdAt: 5, id: "x" }) });
  const { sql, params } = q.toSQL();
  const plan = (t.db.$client.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("; ");
  expect(plan).toContain("USING INDEX messages_created");
  expect(plan).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
});
