// The size limits of a message text (UTF-8 bytes): MESH_MSG_SOFT_LIMIT warns, MESH_MSG_HARD_LIMIT refuses.
import type { Warning } from "../../shared/api/common.ts";
import { ApiError } from "../errors.ts";

export function sizeWarnings(bytes: number, soft: number): Warning[] {
  return bytes > soft
    ? [{ code: "MESSAGE_LARGE", message: `The message is ${bytes} bytes (UTF-8), above the ${soft}-byte soft limit` }]
    : [];
}

export function checkHardLimit(bytes: number, hard: number): void {
  if (bytes > hard) {
    throw new ApiError("MESSAGE_TOO_LARGE", `The message is ${bytes} bytes (UTF-8); the limit is ${hard}`, { bytes, limit: hard });
  }
}
