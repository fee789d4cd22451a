// Stable machine-readable error codes, shared by server, web and CLI.
// The HTTP status is the one the REST API answers with when the error ends a request.

export const ERROR_STATUS = {
  // request / validation
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  /** The client closed the connection before its request was read (nobody gets this answer). */
  CLIENT_ABORTED: 400,
  INVALID_JSON: 400,
  MESSAGE_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  // auth
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  CANCEL_FORBIDDEN: 403,
  CSRF_REJECTED: 403,
  SETUP_REQUIRED: 409,
  SETUP_ALREADY_DONE: 409,
  USERNAME_TAKEN: 409,
  KEY_NAME_TAKEN: 409,
  /** Disabling, demoting or deleting the last active admin. */
  LAST_ADMIN: 409,
  /** First-start setup with a code that is not the one the server printed. */
  SETUP_CODE_WRONG: 401,
  /** A session signed in with a one-time password may only change it (POST /auth/password), sign out or ask /auth/me. */
  PASSWORD_CHANGE_REQUIRED: 403,
  /** POST /auth/password: the current password given is wrong. */
  CURRENT_PASSWORD_WRONG: 403,
  /** POST /auth/password: the new password is the current one. */
  PASSWORD_UNCHANGED: 400,
  // registry
  TEAMMATE_NOT_FOUND: 404,
  AMBIGUOUS_TEAMMATE: 409,
  HANDLE_TAKEN: 409,
  NO_ADDRESS: 409,
  NO_CREDENTIALS: 409,
  IS_SELF: 409,
  IMPORT_INVALID: 400,
  SYNC_NOT_CONFIGURED: 409,
  SYNC_FAILED: 502,
  // broadcasts
  BROADCAST_NOT_FOUND: 404,
  BROADCAST_ALREADY_CONFIRMED: 409,
  BROADCAST_NOT_CONFIRMED: 409,
  BROADCAST_CANCELLED: 409,
  BROADCAST_EXPIRED: 410,
  CONFIRMATION_TOKEN_INVALID: 409,
  NO_RECIPIENTS: 409,
  NOTHING_TO_RETRY: 409,
  BROADCAST_TAMPERED: 409,
  MESSAGE_NOT_FOUND: 404,
  // gateway (a send that cannot reach its agent ends with one of these)
  GATEWAY_UNREACHABLE: 502,
  AUTH_FAILED: 502,
  PAIRING_REQUIRED: 409,
  MISSING_SCOPE: 502,
  PROTOCOL_MISMATCH: 502,
  GATEWAY_PROTOCOL_ERROR: 502,
  GATEWAY_STARTING: 503,
  TLS_PIN_MISMATCH: 502,
  INSECURE_GATEWAY_URL: 400,
  GATEWAY_TIMEOUT: 504,
  GATEWAY_ERROR: 502,
  // guardrails (server/guard)
  SECRET_DETECTED: 422,
  SECRET_OVERRIDE_FORBIDDEN: 403,
  // server
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
  // message templates
  TEMPLATE_NOT_FOUND: 404,
  TEMPLATE_NAME_TAKEN: 409,
  TEMPLATE_INVALID: 400,
  TEMPLATE_VARIABLE_MISSING: 400,
  TEMPLATE_RECIPIENT_VARIABLE: 400,
  // scheduled broadcasts
  SCHEDULE_NOT_FOUND: 404,
  SCHEDULE_ENDED: 409,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Codes that a gateway connection or run can end with. */
export const GATEWAY_ERROR_CODES = [
  "GATEWAY_UNREACHABLE",
  "AUTH_FAILED",
  "PAIRING_REQUIRED",
  "MISSING_SCOPE",
  "PROTOCOL_MISMATCH",
  "GATEWAY_PROTOCOL_ERROR",
  "GATEWAY_STARTING",
  "TLS_PIN_MISMATCH",
  "INSECURE_GATEWAY_URL",
  "GATEWAY_TIMEOUT",
  "GATEWAY_ERROR",
] as const satisfies readonly ErrorCode[];
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** The body of every error response: `{"error": {"code", "message", "details"}}`. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
