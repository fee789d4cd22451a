// The audit hash chain. Each row's `hash` is HMAC-SHA256(auditKey, prevHash + canonical JSON of its
// immutable fields), chained to the previous row (genesis: 64 zeros). `completion_hash` is
// HMAC-SHA256(auditKey, hash + canonical JSON of the fields written when the entry completes);
// entries appended already final get it at insert time. Without the key, a row cannot be
// edited, removed or inserted without verify() noticing.
import { createHmac, type KeyObject } from "node:crypto";

/**
 * The audit key as the hashes take it. Pass a KeyObject (`createSecretKey`) on hot paths: a raw
 * Buffer makes node:crypto set the key up again on every call (~14 µs against ~2.5 µs).
 */
export type AuditKey = Buffer | KeyObject;

export const GENESIS_HASH = "0".repeat(64);

/** JSON with object keys sorted at every level (stable across engines and insert order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** The columns covered by `hash`, exactly as stored (details: its stored JSON text). */
export interface ChainedFields {
  id: number;
  at: number;
  actor: string;
  kind: string;
  teammate: string | null;
  gatewayUrl: string | null;
  session: string | null;
  message: string | null;
  messageBytes: number | null;
  messageSha256: string | null;
  broadcastId: string | null;
  messageId: string | null;
  details: string | null;
  /** Whether the entry was appended pending (a final entry must carry a completion hash). */
  pending: boolean;
}

export interface CompletionFields {
  outcome: string;
  runId: string | null;
  reply: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  latencyMs: number | null;
  completedAt: number | null;
}

function hmac(key: AuditKey, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}

// The hashed field sets are flat and hold only primitives (details is its stored JSON text), so
// JSON.stringify with the sorted key list as replacer writes exactly canonicalJson's bytes
// without copying the object: sortKeys was ~13 % of a broadcast's server CPU. chain.test.ts
// pins both against hashes of the generic form.
const CHAINED_KEYS: readonly string[] = (
  ["id", "at", "actor", "kind", "teammate", "gatewayUrl", "session", "message", "messageBytes", "messageSha256", "broadcastId", "messageId", "details", "pending"] satisfies (keyof ChainedFields)[]
).sort();
const COMPLETION_KEYS: readonly string[] = (
  ["outcome", "runId", "reply", "errorCode", "errorMessage", "latencyMs", "completedAt"] satisfies (keyof CompletionFields)[]
).sort();

export function entryHash(key: AuditKey, prevHash: string, f: ChainedFields): string {
  return hmac(key, prevHash + JSON.stringify(f, CHAINED_KEYS as string[]));
}

export function completionHash(key: AuditKey, hash: string, f: CompletionFields): string {
  return hmac(key, hash + JSON.stringify(f, COMPLETION_KEYS as string[]));
}
