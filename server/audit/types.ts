import type { AuditAnchor, AuditEntry, AuditKind, AuditOutcome, AuditQuery, AuditVerify, AuditVerifyProgress } from "../../shared/api/audit.ts";

export interface AuditInput {
  actor: string; // "user:alice", "key:ci-bot", "system"
  kind: AuditKind;
  outcome: AuditOutcome; // 'pending' for a send about to leave the server
  teammate?: string | null;
  gatewayUrl?: string | null;
  session?: string | null;
  message?: string | null; // bytes and SHA-256 are computed by the log
  broadcastId?: string | null;
  messageId?: string | null;
  details?: Record<string, unknown> | null;
  runId?: string | null;
  reply?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  latencyMs?: number | null;
}

export interface AuditCompletion {
  outcome: Exclude<AuditOutcome, "pending">;
  runId?: string | null;
  reply?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  latencyMs?: number | null;
}

/** Append-only, hash-chained audit trail. */
export interface AuditLog {
  append(input: AuditInput): AuditEntry;
  /** Completes a pending entry, exactly once. */
  complete(id: number, completion: AuditCompletion): AuditEntry;
  /**
   * Resolves once every entry appended so far is committed (appends share one transaction per
   * event-loop turn, see db/write-batch.ts); rejects if that commit failed and they are lost.
   */
  durable(): Promise<void>;
  /**
   * At start-up: every entry still pending becomes 'interrupted', unless the head's pending
   * count disagrees with the table (an entry may have been turned back into pending): then none
   * does and the head records the anomaly. Returns how many were sealed.
   */
  interruptPending(): number;
  get(id: number): AuditEntry | null;
  query(q: AuditQuery): { items: AuditEntry[]; nextCursor: string | null };
  /** Rows as NDJSON or CSV text chunks, streamed in id order, for the same filters. */
  export(q: AuditQuery, format: "ndjson" | "csv"): AsyncIterable<string>;
  /**
   * Walks the chain on a snapshot without blocking the server (one walk at a time; callers
   * without an anchor share the running one). With an anchor, also proves the trail still
   * holds the anchored entry.
   */
  verify(anchor?: AuditAnchor): Promise<AuditVerify>;
  verifyProgress(): AuditVerifyProgress;
  /** The head (count + newest hash), signed: for an auditor to keep outside the server. */
  anchor(): AuditAnchor;
}
