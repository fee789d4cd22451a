// Defaults and bounds that server, web and CLI must agree on.
export const DEFAULT_SESSION = "main";
export const MESSAGE_SOFT_LIMIT_DEFAULT = 4096; // bytes (UTF-8): warn above
export const MESSAGE_HARD_LIMIT_DEFAULT = 8192; // bytes (UTF-8): refuse above
export const ROUNDS_MIN = 1;
export const ROUNDS_MAX = 10;
export const TIMEOUT_SEC_DEFAULT = 60;
export const TIMEOUT_SEC_MAX = 600;
export const BROADCAST_CONFIRM_TTL_SEC_DEFAULT = 600;
export const AUDIT_PAGE_LIMIT_DEFAULT = 50;
export const AUDIT_PAGE_LIMIT_MAX = 500;
/** Smallest request body limit: requests with a larger body answer 413 PAYLOAD_TOO_LARGE. */
export const REQUEST_BODY_LIMIT_MIN = 1024 * 1024;

/**
 * The largest request body the server reads (bytes): 1 MiB, or more when MESH_MSG_HARD_LIMIT
 * needs it — a message at the hard limit still fits even if JSON escapes every byte as \u00XX.
 */
export function requestBodyLimit(msgHardLimit: number): number {
  return Math.max(REQUEST_BODY_LIMIT_MIN, 6 * msgHardLimit + 64 * 1024);
}

const encoder = new TextEncoder();
/** Size of a message as the gateway receives it: UTF-8 bytes, not characters. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}
