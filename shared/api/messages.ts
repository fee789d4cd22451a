import { z } from "zod";
import { Actor, Iso, Warning } from "./common.ts";
import { DELIVERY_STATUSES } from "./enums.ts";
import {
  DEFAULT_SESSION,
  ROUNDS_MAX,
  ROUNDS_MIN,
  TIMEOUT_SEC_DEFAULT,
  TIMEOUT_SEC_MAX,
} from "../limits.ts";

/** Where one delivery attempt to one agent ended. */
export const DeliveryStatus = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;
export { FAILED_STATUSES, FINAL_STATUSES } from "./enums.ts";

export const Session = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/, "session: 1-128 of letters, digits, : . _ -")
  .default(DEFAULT_SESSION);

export const TeammateRef = z.object({
  handle: z.string(),
  name: z.string(),
  displayName: z.string().nullable(),
});
export type TeammateRef = z.infer<typeof TeammateRef>;

export const SendRequest = z.object({
  /** Handle (exact, case-insensitive) or a unique part of a name / display name. */
  to: z.string().trim().min(1),
  message: z.string().min(1),
  session: Session,
  rounds: z.number().int().min(ROUNDS_MIN).max(ROUNDS_MAX).default(1),
  timeoutSec: z.number().int().min(1).max(TIMEOUT_SEC_MAX).default(TIMEOUT_SEC_DEFAULT),
  dryRun: z.boolean().default(false),
  /** false: answer 202 at once and follow progress by polling or the event stream. */
  wait: z.boolean().default(true),
  /** false: never use the fallback webhook for this request. */
  fallback: z.boolean().default(true),
  /** true: send even though the secret scanner blocks it (admins only; audited). */
  allowSecrets: z.boolean().default(false),
});
export type SendRequest = z.input<typeof SendRequest>;

export const ErrorInfo = z.object({ code: z.string(), message: z.string() });

/** Full size in bytes of a reply that was cut to MESH_REPLY_MAX_BYTES; null when it was kept whole. */
export const ReplyFullBytes = z.number().int().nullable().default(null);

export const Exchange = z.object({
  round: z.number().int(),
  message: z.string(),
  messageBytes: z.number().int(),
  status: DeliveryStatus,
  reply: z.string().nullable(),
  /** Set when the reply was longer than MESH_REPLY_MAX_BYTES: its full size; `reply` holds the first part. */
  replyFullBytes: ReplyFullBytes,
  runId: z.string().nullable(),
  latencyMs: z.number().nullable(),
  error: ErrorInfo.nullable(),
  auditId: z.number().int().nullable(),
  /**
   * true: the round timed out and its reply was fetched later (POST /messages/{id}/late-reply);
   * `latencyMs` is then the time waited before the timeout, not when the reply came.
   */
  late: z.boolean().optional(),
});
export type Exchange = z.infer<typeof Exchange>;

export const FallbackResult = z.object({
  attempted: z.boolean(),
  ok: z.boolean(),
  reason: z.string(),
  httpStatus: z.number().nullable(),
  error: z.string().nullable(),
});

export const Message = z.object({
  id: z.string(),
  to: TeammateRef,
  gatewayUrl: z.string().nullable(),
  session: z.string(),
  rounds: z.number().int(),
  timeoutSec: z.number().int(),
  status: DeliveryStatus,
  exchanges: z.array(Exchange),
  warnings: z.array(Warning),
  fallback: FallbackResult.nullable(),
  actor: Actor,
  createdAt: Iso,
  completedAt: Iso.nullable(),
});
export type Message = z.infer<typeof Message>;

/** What a dry run shows: everything but a credential. */
export const SendPreview = z.object({
  dryRun: z.literal(true),
  to: TeammateRef,
  gatewayUrl: z.string().nullable(),
  session: z.string(),
  rounds: z.number().int(),
  timeoutSec: z.number().int(),
  message: z.string(),
  messageBytes: z.number().int(),
  sha256: z.string(),
  credentialSet: z.boolean(),
  warnings: z.array(Warning),
  /** Reasons the real send would fail before leaving the server (no address, no credentials, ...). */
  blockers: z.array(Warning),
});
export type SendPreview = z.infer<typeof SendPreview>;

export const Accepted = z.object({ id: z.string(), status: DeliveryStatus, href: z.string() });

/** GET /messages: newest first; teammate/session/q/before narrow it and page it by keyset. */
export const MessageListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** A teammate's handle (exact, case-insensitive); a deleted teammate's history still matches. */
  teammate: z.string().trim().min(1).max(64).optional(),
  session: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/, "session: 1-128 of letters, digits, : . _ -").optional(),
  /** Case-insensitive text to find in any round's message or reply. */
  q: z.string().trim().min(1).max(200).optional(),
  /** nextCursor of the previous page: the messages older than its last one. */
  before: z.string().min(1).max(300).optional(),
});
export const MessageList = z.object({ items: z.array(Message), nextCursor: z.string().nullable() });
export type MessageList = z.infer<typeof MessageList>;
