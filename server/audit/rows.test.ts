// rowOf maps a row read as values the way drizzle maps a selected row (it skips drizzle's per-field work).
import { randomBytes } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import { auditEntries } from "../db/schema.ts";
import { createVault } from "../vault/index.ts";
import { createAuditLog } from "./index.ts";
import { auditRowColumns, rowOf } from "./rows.ts";

let t: TmpDb;
afterEach(() => t.cleanup());

it("rowOf(values) is drizzle's mapping of every column", () => {
  t = tmpDb();
  const log = createAuditLog({ db: t.db, vault: createVault(t.db, randomBytes(32)) });
  log.append({ actor: "user:a", kind: "send", outcome: "pending", teammate: "bob", message: "hi", details: { z: [1, { b: null }], a: "é" } });
  const done = log.append({ actor: "user:a", kind: "broadcast", outcome: "replied", broadcastId: "b-1", messageId: "m-1", reply: "ok", latencyMs: 5, runId: "r" });
  log.complete(1, { outcome: "failed", errorCode: "X", errorMessage: "y" });
  const q = t.db.select(auditRowColumns).from(auditEntries).orderBy(auditEntries.id);
  const mapped = q.all();
  expect(mapped).toHaveLength(2);
  expect(q.values().map(rowOf)).toStrictEqual(mapped);
  expect(mapped[0]!.details).toBe('{"a":"é","z":[1,{"b":null}]}'); // the stored text, not parsed
  expect(mapped[1]!.id).toBe(done.id);
});
