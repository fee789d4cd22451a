// Start-up recovery looks for work the last run left unfinished; on a database with hundreds of
// thousands of finished messages that must be an index lookup, not a table scan. The statements
// are the ones send.ts and broadcast.ts run (interruptUnfinished).
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import { sendingBroadcasts } from "../messaging/broadcast-rows.ts";
import { unfinishedMessages } from "../messaging/send.ts";
import type { Db } from "./connection.ts";

let t: TmpDb;
beforeEach(() => {
  t = tmpDb();
});
afterEach(() => t.cleanup());

const plan = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
  const { sql, params } = query.toSQL();
  return (t.db.$client.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("; ");
};

it.each([
  ["unfinished messages", (db: Db) => unfinishedMessages(db), "messages_unfinished"],
  ["sending broadcasts", (db: Db) => sendingBroadcasts(db), "broadcasts_sending"],
])("%s: uses %s", (_name, query, index) => {
  expect(plan(query(t.db))).toContain(`USING INDEX ${index}`);
});
