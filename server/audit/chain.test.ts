// The chain's hashes must never change for stored entries: every trail written so far has to
// verify after an upgrade. Pinned against fixed hashes and against the generic canonical form.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, completionHash, entryHash } from "./chain.ts";
import { chained, completionOf, type AuditRow } from "./rows.ts";

const key = Buffer.alloc(32, 7);
const hmac = (text: string) => createHmac("sha256", key).update(text, "utf8").digest("hex");

const row: AuditRow = {
  id: 42,
  at: 1764720000123,
  actor: "user:olivia",
  kind: "send",
  teammate: "bob",
  gatewayUrl: "ws://127.0.0.1:18789",
  session: "main",
  message: 'héllo "team" \u2028',
  messageBytes: 17,
  messageSha256: "ab".repeat(32),
  broadcastId: null,
  messageId: "m-1",
  details: '{"a":1}',
  prevHash: "0".repeat(64),
  hash: "",
  outcome: "replied",
  runId: "run-1",
  reply: "ok ✓",
  errorCode: null,
  errorMessage: null,
  latencyMs: 512,
  completedAt: 1764720000999,
  completionHash: null,
};

describe("audit chain hashes", () => {
  it("are the hashes earlier versions wrote (fixed values)", () => {
    expect(entryHash(key, row.prevHash, chained(row, true))).toBe("c9d5664e367440e4385611e630b250d1f14d7c0050d49de3c68ad3bfa0b29323");
    expect(completionHash(key, "f".repeat(64), completionOf(row))).toBe("21659169c378467f5cbe0b9b1a04a9fa2696b661db2bb8d89a585454a3f03ed5");
  });

  it("hash exactly the canonical JSON of every field chained() and completionOf() return (a field added there is covered)", () => {
    for (const r of [row, { ...row, teammate: null, session: null, message: null, messageBytes: null, details: null, runId: null, reply: null, latencyMs: null, errorCode: "X", errorMessage: "y" }]) {
      for (const pending of [true, false]) {
        expect(entryHash(key, r.prevHash, chained(r, pending))).toBe(hmac(r.prevHash + canonicalJson(chained(r, pending))));
      }
      expect(completionHash(key, "a".repeat(64), completionOf(r))).toBe(hmac("a".repeat(64) + canonicalJson(completionOf(r))));
    }
  });
});
