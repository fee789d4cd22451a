// The pairing approve command, built only from a request id in the format OpenClaw issues
// (crypto.randomUUID() in its device-pairing store). Anything else could smuggle shell syntax into a
// command the dashboard shows to be copied and run. Zod-free: the server and the web both use it.
const PAIRING_REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPairingRequestId(value: unknown): value is string {
  return typeof value === "string" && PAIRING_REQUEST_ID.test(value);
}

/** `openclaw devices approve <id>`, or null when the id is not a well-formed OpenClaw request id. */
export function approveCommand(requestId: string): string | null {
  return isPairingRequestId(requestId) ? `openclaw devices approve ${requestId}` : null;
}
