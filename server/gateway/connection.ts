// One authenticated connection to one teammate's gateway, built on GatewayClient.
//
// GatewayClient owns the wire protocol (challenge, signed connect, request correlation, ticks).
// This wrapper owns the policy: exactly one connect attempt per open() — the client is stopped on
// the first failure, so its own reconnect loop never retries an AUTH failure (the gateway locks an
// address out after 10 failures a minute). The only automatic re-attempt is GatewayClient's retry
// while the gateway answers "starting" (UNAVAILABLE/startup-sidecars), bounded by connectTimeoutMs.
// After hello-ok a lost socket ends the connection for good; the pool opens a new one on demand.
import { GatewayClient } from "@openclaw/gateway-client";
import { GatewayError, isGatewayResponseError, mapGatewayResponseError, mapLocalConnectError, redact, toGatewayError } from "./errors.ts";
import { generateDeviceIdentity, isValidDeviceIdentity, publicKeyRawBase64UrlFromPem, signDevicePayload } from "./device-identity.ts";
import type { DeviceIdentity, GatewayCredentialStore, GatewayLogger } from "./types.ts";

export const REQUESTED_SCOPES = ["operator.read", "operator.write"] as const;
export const PROTOCOL = 4;

export interface GatewayEvent {
  event: string;
  payload: unknown;
}

export interface OpenConnectionParams {
  teammateId: number;
  url: string;
  tlsFingerprint: string | null;
  credentials: GatewayCredentialStore;
  connectTimeoutMs: number;
  clientVersion: string;
  logger?: GatewayLogger;
  signal?: AbortSignal;
}

export interface HelloInfo {
  version: string | undefined;
  scopes: string[];
  protocol: number | undefined;
  /** This connection authenticated with (or was just issued) a device token. */
  paired: boolean;
  authMethod: string | undefined;
}

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The identity to present: the stored one, or a new one that is stored first. */
export function ensureDeviceIdentity(store: GatewayCredentialStore, teammateId: number): DeviceIdentity {
  const existing = store.deviceIdentity(teammateId);
  if (existing && isValidDeviceIdentity(existing)) return existing;
  const created = generateDeviceIdentity();
  store.saveDeviceIdentity(teammateId, created);
  return created;
}

export class GatewayConnection {
  readonly teammateId: number;
  readonly url: string;
  readonly hello: HelloInfo;
  private readonly client: GatewayClient;
  private readonly secrets: (string | null)[];
  private readonly listeners = new Set<(e: GatewayEvent) => void>();
  private readonly closeListeners = new Set<(err: GatewayError) => void>();
  private closedError: GatewayError | null = null;

  private constructor(teammateId: number, url: string, client: GatewayClient, hello: HelloInfo, secrets: (string | null)[]) {
    this.teammateId = teammateId;
    this.url = url;
    this.client = client;
    this.hello = hello;
    this.secrets = secrets;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Opens and authenticates. Rejects with a GatewayError; never leaves a client running. */
  static async open(p: OpenConnectionParams): Promise<GatewayConnection> {
    const shared = p.credentials.gatewayToken(p.teammateId);
    const stored = p.credentials.deviceToken(p.teammateId);
    if (!shared && !stored) {
      throw new GatewayError("AUTH_FAILED", "No gateway token or device token is stored for this teammate.", { reason: "no-credentials" });
    }
    const identity = ensureDeviceIdentity(p.credentials, p.teammateId);
    if (stored) {
      // Prefer the device token the gateway issued. If the gateway no longer accepts it, GatewayClient
      // clears it (clearDeviceAuthToken) and we make ONE attempt with the shared token, if any: a
      // different credential, not a retry of the failed one.
      try {
        return await GatewayConnection.attempt(p, identity, "device");
      } catch (err) {
        if (!(err instanceof GatewayError) || err.code !== "AUTH_FAILED" || !shared) throw err;
        const detailCode = rec(err.details)?.detailCode;
        if (detailCode !== "AUTH_DEVICE_TOKEN_MISMATCH" && detailCode !== "AUTH_TOKEN_MISMATCH" && detailCode !== "AUTH_UNAUTHORIZED") throw err;
        p.credentials.clearDeviceToken(p.teammateId);
        p.logger?.info({ teammateId: p.teammateId }, "gateway rejected the device token; trying the shared gateway token once");
      }
    }
    return GatewayConnection.attempt(p, identity, "shared");
  }

  private static attempt(p: OpenConnectionParams, identity: DeviceIdentity, use: "device" | "shared"): Promise<GatewayConnection> {
    const shared = p.credentials.gatewayToken(p.teammateId);
    const storedAtStart = p.credentials.deviceToken(p.teammateId);
    const secrets = [shared, storedAtStart?.token ?? null];
    const log = p.logger;
    let issuedDeviceToken = false;
    // ws reports an oversized inbound frame only as a socket error, which GatewayClient passes to
    // logDebug (as text) and then closes with 1006; remember it to report the right cause.
    let oversizedFrameSeen = false;

    return new Promise<GatewayConnection>((resolve, reject) => {
      let settled = false;
      let helloSeen = false;
      let connectSent = false;
      let startingSeen = false;
      let connection: GatewayConnection | null = null;
      let lastConnectError: GatewayError | null = null;

      const fail = (err: GatewayError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        p.signal?.removeEventListener("abort", onAbort);
        client.stop();
        reject(err);
      };
      const onAbort = () => fail(new GatewayError("GATEWAY_ERROR", "Connecting was aborted.", { aborted: true }));

      const client = new GatewayClient({
        url: p.url,
        ...(use === "shared" && shared ? { token: shared } : {}),
        clientName: "gateway-client",
        clientDisplayName: "Team Mesh",
        clientVersion: p.clientVersion,
        mode: "backend",
        role: "operator",
        scopes: [...REQUESTED_SCOPES],
        minProtocol: PROTOCOL,
        maxProtocol: PROTOCOL,
        deviceIdentity: identity,
        ...(p.tlsFingerprint ? { tlsFingerprint: p.tlsFingerprint } : {}),
        connectChallengeTimeoutMs: p.connectTimeoutMs,
        preauthHandshakeTimeoutMs: p.connectTimeoutMs,
        // Keep the transport policy independent of this process's environment
        // (OPENCLAW_ALLOW_INSECURE_PRIVATE_WS etc.): checkGatewayUrl decided already.
        env: {},
        notifyOnStartupRetry: true,
        hostDeps: {
          signDevicePayload: (pem, payload) => {
            connectSent = true;
            return signDevicePayload(pem, payload);
          },
          publicKeyRawBase64UrlFromPem,
          loadDeviceAuthToken: () => {
            if (use !== "device") return null;
            const t = p.credentials.deviceToken(p.teammateId);
            return t ? { token: t.token, scopes: t.scopes } : null;
          },
          storeDeviceAuthToken: ({ token, scopes }) => {
            issuedDeviceToken = true;
            secrets.push(token);
            p.credentials.saveDeviceToken(p.teammateId, token, scopes);
          },
          clearDeviceAuthToken: () => p.credentials.clearDeviceToken(p.teammateId),
          logDebug: (m) => {
            if (m.includes("Max payload size exceeded")) oversizedFrameSeen = true;
            log?.debug({ teammateId: p.teammateId }, redact(m, secrets));
          },
          logError: (m) => log?.debug({ teammateId: p.teammateId }, redact(m, secrets)),
          redactForLog: (m) => redact(m, secrets),
        },
        onHelloOk: (hello) => {
          helloSeen = true;
          const auth = rec(hello.auth);
          const scopes = Array.isArray(auth?.scopes) ? auth.scopes.filter((s): s is string => typeof s === "string") : [];
          const info: HelloInfo = {
            version: typeof hello.server?.version === "string" ? hello.server.version : undefined,
            scopes,
            protocol: typeof hello.protocol === "number" ? hello.protocol : undefined,
            paired: use === "device" || issuedDeviceToken || typeof auth?.deviceToken === "string",
            authMethod: typeof auth?.method === "string" ? auth.method : undefined,
          };
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          p.signal?.removeEventListener("abort", onAbort);
          connection = new GatewayConnection(p.teammateId, p.url, client, info, secrets);
          p.credentials.markUsed(p.teammateId);
          resolve(connection);
        },
        onConnectError: (err) => {
          const mapped = isGatewayResponseError(err) ? mapGatewayResponseError(err, "connect", secrets) : mapLocalConnectError(err);
          lastConnectError = mapped;
          if (mapped.code === "GATEWAY_STARTING") {
            startingSeen = true;
            return;
          }
          fail(mapped);
        },
        onClose: (code, reason, info) => {
          if (!helloSeen) {
            if (code === 1013) {
              // "gateway starting": GatewayClient reconnects after the server's retry hint
              startingSeen = true;
              return;
            }
            const fromInfo = info?.connectError;
            const mapped = fromInfo
              ? isGatewayResponseError(fromInfo)
                ? mapGatewayResponseError(fromInfo, "connect", secrets)
                : mapLocalConnectError(fromInfo)
              : lastConnectError ??
                new GatewayError("GATEWAY_ERROR", `The gateway closed the connection during the handshake (close code ${code}).`, {
                  closeCode: code,
                  reason: redact(reason, secrets).slice(0, 200),
                });
            fail(mapped);
            return;
          }
          connection?.markClosed(
            code === 1009 || oversizedFrameSeen
              ? new GatewayError("GATEWAY_ERROR", "The gateway sent a frame larger than the allowed maximum (25 MiB); the connection was closed.", {
                  reason: "frame-too-large",
                  closeCode: code,
                })
              : new GatewayError("GATEWAY_UNREACHABLE", "The connection to the gateway was lost.", { closeCode: code }, true),
          );
        },
        onEvent: (evt) => connection?.dispatch({ event: evt.event, payload: evt.payload }),
      });

      // Our own overall deadline (slightly after GatewayClient's own handshake timers).
      const deadline = setTimeout(() => {
        if (startingSeen) {
          fail(new GatewayError("GATEWAY_STARTING", "The gateway is still starting; try again in a few seconds.", { reason: "startup-sidecars" }, true));
        } else if (connectSent) {
          fail(new GatewayError("GATEWAY_TIMEOUT", "The gateway did not answer the connect request in time.", { reason: "no-hello" }));
        } else {
          fail(new GatewayError("GATEWAY_UNREACHABLE", "Cannot reach the gateway: connect timed out.", { reason: "connect-timeout" }, true));
        }
      }, p.connectTimeoutMs + 250);

      if (p.signal?.aborted) return onAbort();
      p.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        client.start();
      } catch (err) {
        fail(err instanceof Error ? mapLocalConnectError(err) : new GatewayError("GATEWAY_ERROR", "Connecting to the gateway failed."));
      }
    });
  }

  private dispatch(e: GatewayEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // a listener's bug must not break the socket loop
      }
    }
  }

  private markClosed(err: GatewayError): void {
    if (this.closedError) return;
    this.closedError = err;
    this.client.stop();
    for (const l of [...this.closeListeners]) {
      try {
        l(err);
      } catch {
        // ignore
      }
    }
    this.closeListeners.clear();
    this.listeners.clear();
  }

  onEvent(listener: (e: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once when the connection dies (or immediately if it is dead already). */
  onClose(listener: (err: GatewayError) => void): () => void {
    if (this.closedError) {
      listener(this.closedError);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** `onSent` is called (synchronously) once the request frame was handed to the socket. */
  async request<T = Record<string, unknown>>(method: string, params: unknown, opts: { timeoutMs: number; signal?: AbortSignal; onSent?: () => void }): Promise<T> {
    if (this.closedError) throw this.closedError;
    try {
      return await this.client.request<T>(method, params, {
        timeoutMs: Math.max(1, Math.round(opts.timeoutMs)),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onSent ? { onSent: opts.onSent } : {}),
      });
    } catch (err) {
      if (this.closedError && !(err instanceof Error && (err as { gatewayCode?: unknown }).gatewayCode)) throw this.closedError;
      throw toGatewayError(err, method, this.secrets);
    }
  }

  async close(): Promise<void> {
    if (!this.closedError) {
      this.closedError = new GatewayError("GATEWAY_UNREACHABLE", "The connection was closed by the dashboard.", { reason: "closed-locally" });
      for (const l of [...this.closeListeners]) {
        try {
          l(this.closedError);
        } catch {
          // ignore
        }
      }
      this.closeListeners.clear();
      this.listeners.clear();
    }
    try {
      await this.client.stopAndWait({ timeoutMs: 1000 });
    } catch {
      // stopAndWait force-terminates after its grace; nothing else to do
    }
  }
}
