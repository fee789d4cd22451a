import { z } from "zod";
import { Iso } from "./common.ts";
import { AUDIT_KINDS, AUDIT_OUTCOMES } from "./enums.ts";
import { AUDIT_PAGE_LIMIT_DEFAULT, AUDIT_PAGE_LIMIT_MAX } from "../limits.ts";

export const AuditKind = z.enum(AUDIT_KINDS);
export type AuditKind = z.infer<typeof AuditKind>;

export const AuditOutcome = z.enum(AUDIT_OUTCOMES);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditEntry = z.object({
  id: z.number().int(),
  at: Iso,
  actor: z.string(),
  kind: AuditKind,
  teammate: z.string().nullable(),
  gatewayUrl: z.string().nullable(),
  session: z.string().nullable(),
  runId: z.string().nullable(),
  message: z.string().nullable(),
  messageBytes: z.number().int().nullable(),
  messageSha256: z.string().nullable(),
  reply: z.string().nullable(),
  outcome: AuditOutcome,
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  latencyMs: z.number().nullable(),
  broadcastId: z.string().nullable(),
  messageId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  completedAt: Iso.nullable(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.split(",").filter(Boolean) : v), z.array(item));

export const AuditQuery = z.object({
  teammate: z.string().optional(),
  actor: z.string().optional(),
  kind: csv(AuditKind).optional(),
  outcome: csv(AuditOutcome).optional(),
  from: Iso.optional(),
  to: Iso.optional(),
  broadcastId: z.string().optional(),
  messageId: z.string().optional(),
  /** Full-text search over message and reply (SQLite FTS5 syntax; plain words work). */
  q: z.string().max(500).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_LIMIT_MAX).default(AUDIT_PAGE_LIMIT_DEFAULT),
});
export type AuditQuery = z.input<typeof AuditQuery>;

export const AuditPage = z.object({ items: z.array(AuditEntry), nextCursor: z.string().nullable() });

/**
 * The trail's head, signed by the server (Ed25519): an auditor stores it somewhere the server
 * cannot write and later hands it back to verify, which then proves the trail still holds
 * entry `count` with this `hash` (see docs/audit.md).
 */
export const AuditAnchor = z.object({
  /** Entries in the trail when the anchor was issued (ids run 1..count). */
  count: z.number().int().min(0),
  /** Hash of entry `count` (64 zeros for an empty trail). */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: Iso,
  algorithm: z.literal("Ed25519"),
  /** The server's signing public key (SPKI DER, base64): check the signature offline with it. */
  publicKey: z.string(),
  /** Signature over the canonical JSON of {at, count, hash} (base64). */
  signature: z.string(),
});
export type AuditAnchor = z.infer<typeof AuditAnchor>;

export const AuditVerify = z.object({
  ok: z.boolean(),
  /** Entries whose hashes were checked. */
  checked: z.number().int(),
  /** Entries the walk set out to check (the head's count when it started). */
  total: z.number().int(),
  firstBrokenId: z.number().int().nullable(),
  reason: z.string().nullable(),
  /** Present when an anchor was given: whether the trail still holds it. */
  anchor: z.object({ ok: z.boolean(), count: z.number().int(), reason: z.string().nullable() }).optional(),
});
export type AuditVerify = z.infer<typeof AuditVerify>;

export const AuditVerifyRequest = z.object({ anchor: AuditAnchor.optional() });
export type AuditVerifyRequest = z.infer<typeof AuditVerifyRequest>;

/** How far a running verify has got (GET /audit/verify/progress, and `audit.verify` events). */
export const AuditVerifyProgress = z.object({
  running: z.boolean(),
  checked: z.number().int(),
  total: z.number().int(),
  startedAt: Iso.nullable(),
  /** The result of the last finished verify, if any. */
  last: AuditVerify.nullable(),
});
export type AuditVerifyProgress = z.infer<typeof AuditVerifyProgress>;
