// Audit trail at scale: append throughput (HMAC chain, FTS index), a filtered page and a
// full-text page over the whole table, streaming export, and chain verification.
// Usage: node bench/audit.ts [rows]  (default 100000)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuditLog } from "../server/audit/index.ts";
import { applyMigrations, openDatabase } from "../server/db/connection.ts";
import { createVault } from "../server/vault/index.ts";
import { randomBytes } from "node:crypto";

const rows = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "team-mesh-bench-"));
const db = openDatabase(join(dir, "bench.db"));
applyMigrations(db);
const vault = createVault(db, randomBytes(32));
const audit = createAuditLog({ db, vault });
const mb = (b: number) => Math.round(b / 1048576);
const words = ["deploy", "status", "incident", "review", "merge", "release", "rollback", "budget", "hiring", "roadmap"];

let t = performance.now();
for (let i = 0; i < rows; i++) {
  const msg = `${words[i % 10]} ${words[(i * 7) % 10]} request number ${i}`;
  const e = audit.append({ actor: "user:bench", kind: "send", outcome: "pending", teammate: `agent-${i % 50}`, session: "main", message: msg });
  audit.complete(e.id, { outcome: "replied", reply: `ack ${msg}`, runId: `run-${i}`, latencyMs: 100 });
}
const appendMs = performance.now() - t;

t = performance.now();
const page = audit.query({ teammate: "agent-7", limit: 50 });
const filteredMs = performance.now() - t;
t = performance.now();
const fts = audit.query({ q: "rollback incident", limit: 50 });
const ftsMs = performance.now() - t;

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
let bytes = 0;
t = performance.now();
for await (const chunk of audit.export({}, "ndjson")) {
  bytes += chunk.length;
  peak = Math.max(peak, process.memoryUsage().rss);
}
const exportMs = performance.now() - t;

t = performance.now();
const verify = await audit.verify();
const verifyMs = performance.now() - t;

console.log(
  JSON.stringify({
    bench: "audit",
    rows,
    appendAndCompletePerSec: Math.round(rows / (appendMs / 1000)),
    filteredPageMs: +filteredMs.toFixed(1),
    filteredPageRows: page.items.length,
    ftsPageMs: +ftsMs.toFixed(1),
    ftsPageRows: fts.items.length,
    exportMs: Math.round(exportMs),
    exportMb: mb(bytes),
    exportRssGrowthMb: mb(peak - rssBefore),
    verifyMs: Math.round(verifyMs),
    verifyOk: verify.ok,
  }),
);
db.$client.close();
rmSync(dir, { recursive: true, force: true });
if (!verify.ok) process.exit(1);
