// Start-up recovery looks for work the last run left unfinished; on a database with hundreds of
// thousands of finished messages that must be an index lookup, not a table scan. The statements
// are the ones send.ts and broadcast.ts run (interruptUnfinished).
import { readFileSync } from "node:fs";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import { unfinishedMessages } from "../messaging/send.ts";

let t: TmpDb;
beforeEach(() => {
  t = tmpDb();
});
afterEach(() => t.cleanup());

const plan = (sql: string, params: unknown[] = []) => (t.db.$client.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("; ");

it("unfinished messages: uses messages_unfinished", () => {
  const { sql, params } = unfinishedMessages(t.db).toSQL();
  expect(plan(sql, params)).toContain("USING INDEX messages_unfinished");
});

it.each([["server/messaging/broadcast.ts", "select id from broadcasts where state = 'sending'", "broadcasts_sending"]])("%s: %s uses %s", (file, sql, index) => {
  expect(readFileSync(file, "utf8")).toContain(sql); // still the statement the code runs
  expect(plan(sql)).toContain(`USING INDEX ${index}`);
});
