import { z } from "zod";
import { Actor, Iso, Warning } from "./common.ts";
import { DeliveryStatus, ErrorInfo, ReplyFullBytes, Session, TeammateRef } from "./messages.ts";
import { Tag } from "./teammates.ts";
import { TIMEOUT_SEC_DEFAULT, TIMEOUT_SEC_MAX } from "../limits.ts";

export const BroadcastState = z.enum(["awaiting_confirmation", "sending", "completed", "cancelled", "expired"]);
export type BroadcastState = z.infer<typeof BroadcastState>;

export const SkipReason = z.enum(["self", "no_address", "no_credentials"]);

export const BroadcastCreate = z.object({
  message: z.string().min(1),
  session: Session,
  timeoutSec: z.number().int().min(1).max(TIMEOUT_SEC_MAX).default(TIMEOUT_SEC_DEFAULT),
  /** true: show recipients and warnings, create nothing. */
  dryRun: z.boolean().default(false),
  fallback: z.boolean().default(true),
  /** true: create it even though the secret scanner blocks the text (admins only; audited). */
  allowSecrets: z.boolean().default(false),
  /**
   * Only teammates with this tag (`backend` or `@backend`); `tags`: with any of these. Resolved to
   * exact recipients at create time: the token and the confirmation screen name those, not the group.
   */
  group: Tag.optional(),
  tags: z.array(Tag).min(1).max(20).optional(),
});
export type BroadcastCreate = z.input<typeof BroadcastCreate>;

export const Recipient = TeammateRef.extend({
  status: DeliveryStatus,
  reply: z.string().nullable(),
  /** Set when the reply was longer than MESH_REPLY_MAX_BYTES: its full size; `reply` holds the first part. */
  replyFullBytes: ReplyFullBytes,
  runId: z.string().nullable(),
  latencyMs: z.number().nullable(),
  error: ErrorInfo.nullable(),
  attempts: z.number().int(),
  updatedAt: Iso,
});
export type Recipient = z.infer<typeof Recipient>;

export const Skipped = TeammateRef.extend({ reason: SkipReason });

export const Broadcast = z.object({
  id: z.string(),
  state: BroadcastState,
  message: z.string(),
  messageBytes: z.number().int(),
  sha256: z.string(),
  session: z.string(),
  timeoutSec: z.number().int(),
  recipients: z.array(Recipient),
  skipped: z.array(Skipped),
  counts: z.record(z.string(), z.number().int()),
  warnings: z.array(Warning),
  /** The tags the recipients were chosen by (null: everyone). */
  group: z.array(z.string()).nullable(),
  createdBy: Actor,
  createdAt: Iso,
  expiresAt: Iso,
  confirmedBy: Actor.nullable(),
  confirmedAt: Iso.nullable(),
  completedAt: Iso.nullable(),
  /** Whether the fallback webhook may be used for this broadcast (BroadcastCreate.fallback). */
  fallback: z.boolean(),
  /**
   * Single-use token that confirms exactly this message to exactly these recipients
   * (an HMAC over id, message SHA-256, recipient handles and expiry). Present only while the
   * broadcast awaits confirmation, and only for callers allowed to confirm.
   */
  confirmationToken: z.string().nullable(),
});
export type Broadcast = z.infer<typeof Broadcast>;

export const BroadcastPreview = z.object({
  dryRun: z.literal(true),
  message: z.string(),
  messageBytes: z.number().int(),
  sha256: z.string(),
  session: z.string(),
  recipients: z.array(TeammateRef),
  skipped: z.array(Skipped),
  warnings: z.array(Warning),
  group: z.array(z.string()).nullable(),
});
export type BroadcastPreview = z.infer<typeof BroadcastPreview>;

export const BroadcastConfirm = z.object({
  token: z.string().min(1),
  /** false: answer 202 at once; progress via polling or the event stream. */
  wait: z.boolean().default(false),
});

export const ANSWER_FORMATS = ["csv", "ndjson", "markdown"] as const;

/** GET /broadcasts/{id}/answers: the recipients' answers, grouped (shared/answers/group.ts). */
export const AnswersQuery = z.object({
  format: z.enum(ANSWER_FORMATS).default("ndjson"),
  /** Only recipients with one of these statuses, comma-separated (default: all). */
  status: z
    .preprocess((v) => (typeof v === "string" ? v.split(",").filter(Boolean) : v), z.array(DeliveryStatus))
    .optional(),
});
