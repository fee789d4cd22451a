// The value lists of the API's enums, without zod: the dashboard imports them from here so its
// bundle stays zod-free; shared/api/*.ts builds the zod enums from the same lists.

export const ROLES = ["admin", "operator", "requester", "auditor"] as const;

export const TEAMMATE_STATES = [
  "unknown", // never checked
  "online",
  "unreachable",
  "auth_failed",
  "pairing_required",
  "no_credentials",
  "no_address",
  "error",
] as const;

/** Where a delivery attempt ended: every status but queued and sending. */
const FINAL = [
  "replied",
  "delivered_no_reply",
  "timeout",
  "unreachable",
  "auth_failed",
  "pairing_required",
  "error",
  "cancelled",
  // cancelled after chat.send was written to the gateway: the agent may have the message (the
  // run was asked to abort; a reply it sends anyway is still collected). Never retried.
  "cancelled_after_send",
  "interrupted",
] as const;

/** Where one delivery attempt to one agent is: queued, sending, or a final status. */
export const DELIVERY_STATUSES = ["queued", "sending", ...FINAL] as const;
type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const FINAL_STATUSES: readonly DeliveryStatus[] = FINAL;
/** Statuses a broadcast retry sends again (never `cancelled_after_send`: the message may have arrived). */
export const FAILED_STATUSES: readonly DeliveryStatus[] = ["timeout", "unreachable", "auth_failed", "pairing_required", "error", "interrupted"];

export const AUDIT_KINDS = [
  "send",
  "broadcast",
  "ping",
  "pairing",
  "registry",
  "credential",
  "fallback",
  "login",
  "late_reply",
  "settings",
  "user",
  "api_key",
  "sync",
  "system",
  "mcp", // one tool call of an MCP client (server/mcp/)
  "a2a", // one JSON-RPC call of an A2A client (server/a2a/)
  "guard", // a send the secret scanner refused, or an admin's override of it (server/guard/)
] as const;

/** What an audit entry records as its outcome: pending, a final delivery status, ok or failed. */
export const AUDIT_OUTCOMES = ["pending", ...FINAL, "ok", "failed"] as const;

/**
 * Close codes of the events WebSocket besides the standard ones (1001 server shutting down).
 * 4401: the connection's credential stopped being valid (API key revoked or expired, signed out,
 * session expired, user disabled or deleted, password or role changed); sign in again.
 */
export const EVENTS_CLOSE = {
  CREDENTIAL_INVALID: 4401,
} as const;

/** The shortest password the server accepts (shared/api/auth.ts Password). */
export const PASSWORD_MIN = 10;
