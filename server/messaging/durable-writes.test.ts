// Writes share one transaction per event-loop turn (db/write-batch.ts). What users depend on:
// chat.send leaves only once its pending audit entry is committed (a crash mid-send must leave
// that trace), listeners hear of a state only once it is committed, and a broadcast's writes
// take a handful of commits, not several per recipient.
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GatewayConnector, SendOptions, SendResult } from "../gateway/types.ts";
import { walCommits } from "../../test/support/wal.ts";
import { createHarness, operator, type Harness } from "../../test/support/messaging-harness.ts";

const TOKEN = "gw-secret-token-abcdef";
const RECIPIENTS = 40;

/** A connector that answers at once and records, per send, what another connection could see. */
function recordingConnector(seen: { session: string; pendingCommitted: number }[], file: () => string): GatewayConnector {
  let reader: Database.Database | null = null;
  const committedPending = (message: string) => {
    reader ??= new Database(file(), { readonly: true });
    return (reader.prepare("select count(*) as n from audit_entries where kind = 'send' and outcome = 'pending' and message = ?").get(message) as { n: number }).n;
  };
  return {
    probe: async () => ({ state: "online", latencyMs: 1 }) as never,
    async send(_t, o: SendOptions): Promise<SendResult> {
      seen.push({ session: o.sessionKey, pendingCommitted: committedPending(o.message) });
      o.onSent?.(o.idempotencyKey ?? "k");
      await new Promise((r) => setTimeout(r, 5));
      return { outcome: "replied", reply: `re: ${o.message}`, latencyMs: 5, runId: `run-${seen.length}` };
    },
    fetchLateReply: async () => ({ outcome: "timeout", latencyMs: 1 }),
    abort: async () => undefined,
    listAgents: async () => [],
    forget: () => undefined,
    openConnections: () => 0,
    close: async () => {
      reader?.close();
    },
  };
}

describe("durable writes", () => {
  let h: Harness;
  const seen: { session: string; pendingCommitted: number }[] = [];
  beforeEach(() => {
    seen.length = 0;
    h = createHarness({}, { me: "me", connector: recordingConnector(seen, () => h.config.dbFile) });
    for (let i = 0; i < RECIPIENTS; i++) h.registry.create({ handle: `t${i}`, name: `T ${i}`, gatewayUrl: `ws://127.0.0.1:${20000 + i}`, token: TOKEN }, "test");
  });
  afterEach(async () => {
    await h.close();
  });

  it("a send: chat.send goes out only after its pending audit entry is committed", async () => {
    const out = await h.messages.send({ to: "t1", message: "only once committed", session: "main", rounds: 1, timeoutSec: 10, dryRun: false, wait: true, fallback: false }, operator);
    if (out.kind !== "message") throw new Error("expected a message");
    expect(out.message.status).toBe("replied");
    expect(seen).toEqual([{ session: "main", pendingCommitted: 1 }]);
  });

  it("a broadcast: every recipient's pending entry is committed before its chat.send, in a few commits for the whole fan-out", async () => {
    h.db.$client.pragma("wal_autocheckpoint = 0"); // keep every commit in the WAL to count them
    const r = await h.broadcasts.create({ message: "team standup", session: "main", timeoutSec: 10, dryRun: false, fallback: false }, operator);
    if (r.kind !== "created") throw new Error("expected created");
    const before = walCommits(h.config.dbFile);
    const done = await h.broadcasts.confirm(r.broadcast.id, r.broadcast.confirmationToken as string, true, operator);
    expect(done.recipients.map((x) => x.status)).toEqual(Array(RECIPIENTS).fill("replied"));
    expect(seen).toHaveLength(RECIPIENTS);
    // every recipient's entry, and at least its own, was on disk when its chat.send left
    for (const s of seen) expect(s.pendingCommitted).toBeGreaterThanOrEqual(1);
    // 40 recipients × (pending entry, recipient row, completion, final row) were ~160 commits
    // one by one; sends started in one turn and replies landing together share theirs
    const commits = walCommits(h.config.dbFile) - before;
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThanOrEqual(RECIPIENTS / 2);
  });

  it("listeners hear of an audit entry only once another connection can read it", async () => {
    const reader = new Database(h.config.dbFile, { readonly: true });
    const visible: boolean[] = [];
    const unsubscribe = h.bus.subscribe((e) => {
      if (e.type === "audit.appended") visible.push(reader.prepare("select 1 from audit_entries where id = ?").get(e.entry.id) !== undefined);
    });
    try {
      const out = await h.messages.send({ to: "t2", message: "seen when saved", session: "main", rounds: 1, timeoutSec: 10, dryRun: false, wait: true, fallback: false }, operator);
      if (out.kind !== "message") throw new Error("expected a message");
    } finally {
      unsubscribe();
      reader.close();
    }
    expect(visible).toEqual([true]); // the pending entry (the harness publishes appends only)
  });
});
