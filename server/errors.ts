// The one error type the server throws (domain code and HTTP alike); the error handler turns it into
// {"error": {"code", "message", "details"}} with the status of its code.
import { ERROR_STATUS, type ErrorCode } from "../shared/errors.ts";

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
