// Exit codes of the `team-mesh` command (docs/cli.md lists them).
export const EXIT = {
  OK: 0,
  /** The request reached the server but did not succeed: the agent timed out, was unreachable, refused... */
  FAILED: 1,
  /** Bad command line (unknown command or flag, missing value, no --yes without a terminal). */
  USAGE: 2,
  /** No API key, or the server answered 401/403. */
  AUTH: 3,
  /** Teammate, message or broadcast not found, or a name matching several teammates. */
  NOT_FOUND: 4,
  /** The server could not be reached (connection refused, DNS, timeout, shutting down). */
  UNREACHABLE: 5,
  /** The message is larger than the server's hard limit (413). */
  TOO_LARGE: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_ERROR_CODE: Record<string, ExitCode> = {
  UNAUTHENTICATED: EXIT.AUTH,
  INVALID_CREDENTIALS: EXIT.AUTH,
  FORBIDDEN: EXIT.AUTH,
  CSRF_REJECTED: EXIT.AUTH,
  NOT_FOUND: EXIT.NOT_FOUND,
  TEAMMATE_NOT_FOUND: EXIT.NOT_FOUND,
  AMBIGUOUS_TEAMMATE: EXIT.NOT_FOUND,
  BROADCAST_NOT_FOUND: EXIT.NOT_FOUND,
  MESSAGE_NOT_FOUND: EXIT.NOT_FOUND,
  MESSAGE_TOO_LARGE: EXIT.TOO_LARGE,
  PAYLOAD_TOO_LARGE: EXIT.TOO_LARGE,
  VALIDATION_FAILED: EXIT.USAGE,
  INVALID_JSON: EXIT.USAGE,
  IMPORT_INVALID: EXIT.USAGE,
  SHUTTING_DOWN: EXIT.UNREACHABLE,
};

/** Exit code for an API error answer: by stable error code first, then by HTTP status. */
export function exitCodeForApiError(status: number, code: string | undefined): ExitCode {
  if (code && code in BY_ERROR_CODE) return BY_ERROR_CODE[code] as ExitCode;
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 413) return EXIT.TOO_LARGE;
  if (status === 400 || status === 422) return EXIT.USAGE;
  return EXIT.FAILED;
}
