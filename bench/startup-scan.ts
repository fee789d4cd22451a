// Start-up scan of `messages` by status: at start the server reads every unfinished message
// (`select * from messages where status in ('queued', 'sending')`, server/messaging/send.ts) to
// mark it interrupted. With ~800k finished rows and a handful unfinished, that must be an index
// lookup (the partial index messages_unfinished, migration 0003), not a table scan.
// Rows are inserted directly (one transaction per 10k) into a database migrated by the product.
// Reported: the query's plan (target: uses an index), its time (median of 20, after reopening
// the database), and as baseline the same query forced to scan (`not indexed`).
// Usage: node --expose-gc bench/startup-scan.ts [rows]   (default 800000)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { applyMigrations, openDatabase } from "../server/db/connection.ts";
import { pct, report, round } from "./lib.ts";

const rows = Number(process.argv[2] ?? 800_000);
const UNFINISHED = 200;
const B = "startup-scan";
const dir = mkdtempSync(join(tmpdir(), "team-mesh-bench-scan-"));
const file = join(dir, "bench.db");
let db = openDatabase(file);
applyMigrations(db);
const insert = db.$client.prepare(
  `insert into messages (id, teammate_id, handle, gateway_url, session, rounds, timeout_sec, status, exchanges, warnings, fallback, actor, created_at, completed_at)
   values (?, null, ?, ?, 'main', 1, 60, ?, ?, '[]', null, 'user:bench', ?, ?)`,
);
const t0 = Date.now() - rows * 1000;
const fill = db.$client.transaction((from: number, to: number) => {
  for (let i = from; i < to; i++) {
    // the unfinished ones spread through the table
    const status = i % Math.floor(rows / UNFINISHED) === 0 ? (i % 2 ? "sending" : "queued") : "replied";
    const exchanges = JSON.stringify([{ round: 1, status, message: `bench message ${i}`, reply: status === "replied" ? `reply to bench message ${i}` : null, runId: randomUUID(), latencyMs: 512 }]);
    insert.run(randomUUID(), `agent-${i % 50}`, `ws://127.0.0.1:${20000 + (i % 50)}`, status, exchanges, t0 + i * 1000, status === "replied" ? t0 + i * 1000 + 512 : null);
  }
});
const s = performance.now();
for (let i = 0; i < rows; i += 10_000) fill(i, Math.min(rows, i + 10_000));
const fillMs = performance.now() - s;
db.$client.pragma("wal_checkpoint(TRUNCATE)");
db.$client.close();

db = openDatabase(file);
const QUERY = "select * from messages where status in ('queued', 'sending')";
const plan = (db.$client.prepare(`explain query plan ${QUERY}`).all() as { detail: string }[]).map((r) => r.detail).join("; ");
const time = (sql: string) => {
  const lat: number[] = [];
  let n = 0;
  for (let i = 0; i < 20; i++) {
    const s0 = performance.now();
    n = db.$client.prepare(sql).all().length;
    lat.push(performance.now() - s0);
  }
  return { ms: pct(lat, 50), first: lat[0]!, n };
};
const indexed = time(QUERY);
const scan = time(QUERY.replace("from messages", "from messages not indexed"));
const usesIndex = /USING (COVERING )?INDEX/.test(plan);
report({
  bench: B,
  figure: `start-up scan of messages by status at ${rows} rows`,
  value: round(indexed.ms, 2),
  unit: "ms (median of 20)",
  target: "indexed",
  pass: usesIndex,
  baseline: round(scan.ms, 1),
  baselineNote: "same query forced to a table scan (not indexed)",
  firstRunMs: round(indexed.first, 2),
  unfinishedFound: indexed.n,
  plan,
  rows,
  fillS: round(fillMs / 1000),
});
db.$client.close();
rmSync(dir, { recursive: true, force: true });
if (indexed.n !== scan.n) throw new Error(`indexed found ${indexed.n}, scan ${scan.n}`);
