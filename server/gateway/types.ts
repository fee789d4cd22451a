// Public types of the gateway connector. Nothing here refers to @openclaw/* types: the rest of the
// server sees only these.
import type { GatewayErrorCode } from "../../shared/errors.ts";

export type { GatewayErrorCode };

/** Where a teammate's OpenClaw Gateway lives. */
export type GatewayTarget = {
  teammateId: number;
  url: string;
  tlsFingerprint?: string | null;
  /** The agent on that gateway: bare session names are sent as `agent:<agentId>:<name>` (unset: passed as given). */
  agentId?: string;
};

/** One agent of a gateway (agents.list, with agent.identity.get's name and emoji). */
export interface GatewayAgent {
  agentId: string;
  name: string | null;
  emoji: string | null;
  isDefault: boolean;
}

/** Ed25519 device identity of this dashboard towards one teammate's gateway. */
export interface DeviceIdentity {
  /** sha256 of the raw 32-byte public key, lowercase hex (what the gateway derives too). */
  deviceId: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

/** Storage of per-teammate gateway secrets; the server implements it on top of its vault. */
export interface GatewayCredentialStore {
  /** Shared gateway token (gateway.auth.token of that gateway). */
  gatewayToken(teammateId: number): string | null;
  deviceIdentity(teammateId: number): DeviceIdentity | null;
  saveDeviceIdentity(teammateId: number, identity: DeviceIdentity): void;
  /** Device token issued by the gateway after pairing (hello-ok.auth.deviceToken). */
  deviceToken(teammateId: number): { token: string; scopes: string[] } | null;
  saveDeviceToken(teammateId: number, token: string, scopes: string[]): void;
  clearDeviceToken(teammateId: number): void;
  markUsed(teammateId: number): void;
}

type LogFn = (objOrMsg: unknown, msg?: string) => void;
export interface GatewayLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface GatewayErrorInfo {
  code: GatewayErrorCode;
  message: string;
  details?: unknown;
}

export interface PairingInfo {
  requestId: string;
  /** Run this on the gateway's machine: `openclaw devices approve <requestId>`. */
  approveCommand: string;
}

export type ProbeState = "online" | "unreachable" | "auth_failed" | "pairing_required" | "no_credentials" | "error";

export interface ProbeResult {
  state: ProbeState;
  latencyMs: number;
  /** Gateway version from hello-ok.server.version. */
  version?: string;
  /** Live scopes of the authenticated connection (hello-ok.auth.scopes). */
  scopes?: string[];
  /** Protocol version from hello-ok. */
  protocol?: number;
  /** True when this dashboard holds a device token issued by that gateway. */
  paired: boolean;
  pairing?: PairingInfo;
  error?: GatewayErrorInfo;
}

export type SendOutcome = "replied" | "delivered_no_reply" | "timeout" | "error";

export interface SendResult {
  outcome: SendOutcome;
  runId?: string;
  reply?: string;
  /** Set when the reply was longer than the connector's replyMaxBytes: its full UTF-8 size (reply holds the first part). */
  replyFullBytes?: number;
  latencyMs: number;
  error?: GatewayErrorInfo;
}

export interface SendOptions {
  /** User-facing session name ("main", "standup", ...) or a qualified key ("agent:<agentId>:<name>"). */
  sessionKey: string;
  message: string;
  /** Set by the connector from its replyMaxBytes: the streamed text is kept within it. */
  replyMaxBytes?: number;
  /** Overall budget for connect + send + reply, in ms. */
  timeoutMs: number;
  /** Defaults to a fresh UUID; becomes the run id. Re-using one never sends twice. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Called with the reply text so far while the agent streams it. */
  onDelta?: (text: string) => void;
  /** Called once the gateway accepted the message, with its run id. */
  onAccepted?: (runId: string) => void;
  /**
   * Called the moment chat.send was written to the socket, with its idempotency key (OpenClaw's
   * run id): from here on the gateway may have the message, so a cancel must abort that run.
   */
  onSent?: (idempotencyKey: string) => void;
  /**
   * Who sends (a teammate handle or user label): marked as inter-session input
   * (chat.send systemInputProvenance) where the gateway allows it (that field needs operator.admin).
   */
  sender?: string;
}

export interface GatewayConnectorOptions {
  credentials: GatewayCredentialStore;
  logger?: GatewayLogger;
  /** Close a pooled connection after it was unused this long (default 60 s). */
  idleCloseMs?: number;
  /** Budget for socket + challenge + hello (default 10 s). */
  connectTimeoutMs?: number;
  /** Reported to the gateway as client.version. */
  clientVersion?: string;
  /** Keep at most this many UTF-8 bytes of a reply, also while it streams in (default: unbounded). */
  replyMaxBytes?: number;
  /** The gateway's own liveness events (tick, health, presence) on an open connection. */
  onGatewayAlive?: (teammateId: number, event: string) => void;
}

export interface GatewayConnector {
  probe(t: GatewayTarget, o?: { timeoutMs?: number }): Promise<ProbeResult>;
  send(t: GatewayTarget, o: SendOptions): Promise<SendResult>;
  /** `signal` ends the wait early (outcome timeout). */
  fetchLateReply(t: GatewayTarget, o: { sessionKey: string; runId: string; timeoutMs?: number; signal?: AbortSignal }): Promise<SendResult>;
  abort(t: GatewayTarget, o: { sessionKey: string; runId: string }): Promise<void>;
  /** The gateway's agents (agents.list + agent.identity.get each). Throws a GatewayError. */
  listAgents(t: GatewayTarget, o?: { timeoutMs?: number }): Promise<GatewayAgent[]>;
  /** Drop the pooled connection of that teammate (credentials or address changed). */
  forget(teammateId: number): void;
  openConnections(): number;
  close(): Promise<void>;
}
