// Maps everything that can go wrong talking to a gateway onto the stable codes of
// shared/errors.ts, with a human message. Classification branches on structured fields
// (error classes, `code`, `details.code`, `details.reason`), never on gateway message text.
// Messages never contain a token or a key: every message passes through redact().
import type { GatewayErrorCode } from "../../shared/errors.ts";
import { approveCommand, isPairingRequestId } from "../../shared/pairing.ts";
import type { GatewayErrorInfo } from "./types.ts";

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly details?: unknown;
  readonly retryable: boolean;
  constructor(code: GatewayErrorCode, message: string, details?: unknown, retryable = false) {
    super(message);
    this.name = "GatewayError";
    this.code = code;
    this.details = details;
    this.retryable = retryable;
  }
  toInfo(): GatewayErrorInfo {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Removes the given secrets and anything token-looking from a text. */
export function redact(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("***");
  }
  out = out.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "***");
  out = out.replace(/([?&](?:token|key|secret|password|auth)[^=&\s]*=)[^&\s"']+/gi, "$1***");
  out = out.replace(/(Bearer\s+)\S+/gi, "$1***");
  return out;
}

/** Deep-copies details, redacting strings; drops keys that look like secrets. */
export function redactDetails(value: unknown, secrets: readonly (string | null | undefined)[] = [], depth = 0): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactDetails(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/token|secret|password|privatekey/i.test(k) && typeof v === "string") continue;
    out[k] = redactDetails(v, secrets, depth + 1);
  }
  return out;
}

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

const AUTH_DETAIL_CODES = new Set([
  "AUTH_REQUIRED",
  "AUTH_UNAUTHORIZED",
  "AUTH_TOKEN_MISSING",
  "AUTH_TOKEN_MISMATCH",
  "AUTH_TOKEN_NOT_CONFIGURED",
  "AUTH_PASSWORD_MISSING",
  "AUTH_PASSWORD_MISMATCH",
  "AUTH_PASSWORD_NOT_CONFIGURED",
  "AUTH_BOOTSTRAP_TOKEN_INVALID",
  "AUTH_DEVICE_TOKEN_MISMATCH",
  "AUTH_RATE_LIMITED",
  "AUTH_TAILSCALE_IDENTITY_MISSING",
  "AUTH_TAILSCALE_PROXY_MISSING",
  "AUTH_TAILSCALE_WHOIS_FAILED",
  "AUTH_TAILSCALE_IDENTITY_MISMATCH",
  "AUTH_IDENTITY_HEADER_REQUIRED",
  "AUTH_VERIFIED_USER_REQUIRED",
  "DEVICE_IDENTITY_REQUIRED",
  "DEVICE_AUTH_INVALID",
  "DEVICE_AUTH_DEVICE_ID_MISMATCH",
  "DEVICE_AUTH_SIGNATURE_EXPIRED",
  "DEVICE_AUTH_NONCE_REQUIRED",
  "DEVICE_AUTH_NONCE_MISMATCH",
  "DEVICE_AUTH_SIGNATURE_INVALID",
  "DEVICE_AUTH_PUBLIC_KEY_INVALID",
]);

const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
]);

const TLS_ERROR_CODES = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** Error shape answered by a gateway (GatewayClientRequestError and friends), read structurally. */
export interface GatewayResponseErrorLike {
  gatewayCode: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
  message: string;
}

export function isGatewayResponseError(err: unknown): err is GatewayResponseErrorLike & Error {
  return err instanceof Error && typeof (err as { gatewayCode?: unknown }).gatewayCode === "string";
}

/**
 * Maps a gateway-answered error (connect or method) to a GatewayError.
 * `phase` only changes wording.
 */
export function mapGatewayResponseError(err: GatewayResponseErrorLike, phase: "connect" | "request", secrets: readonly (string | null | undefined)[] = []): GatewayError {
  const details = rec(err.details);
  const detailCode = str(details?.code);
  const reason = str(details?.reason);
  const gatewayCode = err.gatewayCode;
  const keep = { gatewayCode, ...(detailCode ? { detailCode } : {}), ...(details ? { gatewayDetails: redactDetails(details, secrets) } : {}) };

  if (detailCode === "PAIRING_REQUIRED" || (gatewayCode === "NOT_PAIRED" && !detailCode)) {
    const rawId = str(details?.requestId);
    if (rawId && !isPairingRequestId(rawId)) {
      // Not the UUID OpenClaw issues: never turn it into a command to run (nor quote it back).
      return new GatewayError(
        "GATEWAY_PROTOCOL_ERROR",
        "The gateway asked for pairing with a malformed request id (OpenClaw issues UUIDs); no approve command is shown. Check that the address points to a genuine OpenClaw gateway.",
        { gatewayCode, detailCode },
      );
    }
    const requestId = rawId;
    const info = requestId ? { requestId, approveCommand: approveCommand(requestId) } : {};
    return new GatewayError(
      "PAIRING_REQUIRED",
      requestId
        ? `The gateway has not paired this dashboard yet. On the gateway's machine run: openclaw devices approve ${requestId}`
        : "The gateway has not paired this dashboard yet; approve its pending device request with `openclaw devices approve`.",
      { ...keep, ...info, ...(str(details?.reason) ? { pairingReason: details?.reason } : {}) },
    );
  }
  if (detailCode === "AUTH_SCOPE_MISMATCH" || detailCode === "MISSING_SCOPE") {
    const missing = str(details?.missingScope);
    return new GatewayError(
      "MISSING_SCOPE",
      missing
        ? `The gateway connection lacks the ${missing} scope; pair this dashboard as a device (non-loopback token-only connections get no scopes) or approve the scope.`
        : "The gateway did not grant the operator scopes this dashboard needs (operator.read, operator.write); re-pair or approve the scope.",
      keep,
    );
  }
  if (detailCode && AUTH_DETAIL_CODES.has(detailCode)) {
    const msg =
      detailCode === "AUTH_RATE_LIMITED"
        ? "The gateway is temporarily refusing this address after too many failed logins; fix the token and try again later."
        : detailCode === "AUTH_DEVICE_TOKEN_MISMATCH"
          ? "The gateway rejected this dashboard's device token (revoked or rotated); re-pair or set the gateway token again."
          : detailCode.startsWith("DEVICE_")
            ? "The gateway rejected this dashboard's device identity."
            : "The gateway rejected the token (token mismatch); check the gateway token for this teammate.";
    return new GatewayError("AUTH_FAILED", msg, keep);
  }
  if (detailCode === "PROTOCOL_MISMATCH" || detailCode === "CLIENT_VERSION_MISMATCH") {
    const expected = details?.expectedProtocol;
    return new GatewayError(
      "PROTOCOL_MISMATCH",
      `The gateway speaks a different protocol version${typeof expected === "number" ? ` (${expected})` : ""} than this dashboard (4); update OpenClaw or the dashboard.`,
      keep,
    );
  }
  if (gatewayCode === "UNAVAILABLE" && reason === "startup-sidecars") {
    return new GatewayError("GATEWAY_STARTING", "The gateway is still starting; try again in a few seconds.", { ...keep, retryAfterMs: err.retryAfterMs }, true);
  }
  if (gatewayCode === "UNAVAILABLE" && reason === "websocket-upgrade-rejected") {
    const status = details?.httpStatus;
    if (status === 502 || status === 503 || status === 504) {
      return new GatewayError("GATEWAY_UNREACHABLE", `The gateway address answered HTTP ${status}: a proxy in front of it cannot reach the gateway.`, keep, true);
    }
    return new GatewayError(
      "GATEWAY_ERROR",
      `The address does not accept gateway WebSocket connections (HTTP ${typeof status === "number" ? status : "?"}); is this the gateway's URL?`,
      keep,
    );
  }
  const base = phase === "connect" ? "The gateway refused the connection" : "The gateway answered with an error";
  return new GatewayError("GATEWAY_ERROR", `${base} (${detailCode ?? gatewayCode}).`, keep, err.retryable === true);
}

/** A local (non-gateway) error seen while connecting: socket, DNS, TLS, handshake timers. */
export function mapLocalConnectError(err: Error): GatewayError {
  const code = str((err as { code?: unknown }).code);
  const ctor = err.constructor?.name ?? "";
  if (ctor === "GatewayWebSocketTlsPinError" || /fingerprint (?:mismatch|unavailable)/.test(err.message)) {
    return new GatewayError("TLS_PIN_MISMATCH", "The gateway's TLS certificate does not match the pinned SHA-256 fingerprint.", { reason: "tls-pin" });
  }
  if (ctor === "GatewayWebSocketTransportConfigurationError" || ctor === "GatewayClientTransportPolicyError") {
    return new GatewayError("INSECURE_GATEWAY_URL", "The gateway URL is not allowed for a plaintext connection; use wss://.", { reason: "transport-policy" });
  }
  if (code && NETWORK_ERROR_CODES.has(code)) {
    const what =
      code === "ECONNREFUSED"
        ? "connection refused (is the gateway running on that port?)"
        : code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL"
          ? "host name not found"
          : code === "ETIMEDOUT"
            ? "connection timed out"
            : code === "ECONNRESET"
              ? "connection reset"
              : "network unreachable";
    return new GatewayError("GATEWAY_UNREACHABLE", `Cannot reach the gateway: ${what}.`, { errno: code }, true);
  }
  if (code && TLS_ERROR_CODES.test(code)) {
    return new GatewayError("GATEWAY_ERROR", `TLS handshake with the gateway failed (${code}); pin its certificate fingerprint if it is self-signed.`, { tlsError: code });
  }
  if (err.message.startsWith("Opening handshake has timed out")) {
    return new GatewayError("GATEWAY_UNREACHABLE", "Cannot reach the gateway: connect timed out.", { reason: "connect-timeout" }, true);
  }
  if (err.message.startsWith("gateway connect challenge timeout")) {
    return new GatewayError("GATEWAY_TIMEOUT", "The gateway accepted the connection but never started the handshake (no connect challenge).", {
      reason: "no-challenge",
    });
  }
  if (err.message.startsWith("gateway connect challenge missing nonce")) {
    return new GatewayError("PROTOCOL_MISMATCH", "The gateway sent a malformed connect challenge.", { reason: "bad-challenge" });
  }
  return new GatewayError("GATEWAY_ERROR", "Connecting to the gateway failed.", { reason: "connect-failed", ...(code ? { errno: code } : {}) });
}

/** Errors thrown by GatewayClient.request() other than gateway answers. */
export function mapLocalRequestError(err: unknown, method: string): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (code === "CLIENT_TIMEOUT") {
      return new GatewayError("GATEWAY_TIMEOUT", `The gateway did not answer ${method} in time.`, { method });
    }
    if (err.name === "AbortError") return new GatewayError("GATEWAY_ERROR", `${method} was aborted.`, { method, aborted: true });
    const closed = /^gateway closed \((\d+)\)/.exec(err.message);
    if (closed) {
      const closeCode = Number(closed[1]);
      if (closeCode === 1009) {
        return new GatewayError("GATEWAY_ERROR", "The gateway sent a frame larger than the allowed maximum; the connection was closed.", { method, closeCode });
      }
      return new GatewayError("GATEWAY_UNREACHABLE", "The connection to the gateway was lost.", { method, closeCode }, true);
    }
    if (err.message === "gateway not connected" || err.message === "gateway client stopped") {
      return new GatewayError("GATEWAY_UNREACHABLE", "The connection to the gateway was lost.", { method }, true);
    }
  }
  return new GatewayError("GATEWAY_ERROR", `Calling ${method} on the gateway failed.`, { method });
}

export function toGatewayError(err: unknown, method: string, secrets: readonly (string | null | undefined)[] = []): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isGatewayResponseError(err)) return mapGatewayResponseError(err, "request", secrets);
  return mapLocalRequestError(err, method);
}
