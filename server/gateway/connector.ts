// createGatewayConnector: the one object the rest of the server uses to talk to teammates'
// OpenClaw gateways. See docs/gateway-connector.md.
//
// Session keys: callers pass the user-facing session name ("main", "standup") or an already
// qualified key ("agent:<agentId>:<name>"). chat.send takes either: the gateway resolves a bare
// name to `agent:<defaultAgentId>:<name>` (so "main" is the agent's main session
// `agent:main:main`), and its events/history report the qualified form. The connector passes the
// key through unchanged and matches replies by run id, never by session key.
import { randomUUID } from "node:crypto";
import { ConnectionPool } from "./connection-pool.ts";
import { GatewayError, toGatewayError } from "./errors.ts";
import { checkHealth } from "./probe.ts";
import { capReply } from "./reply-cap.ts";
import { fetchLateReplyOnConnection, sendOnConnection } from "./send.ts";
import { listAgentsOnConnection } from "./agents.ts";
import { KeyedSerialQueue, qualifySessionKey, sessionQueueKey } from "./session-queue.ts";
import { checkGatewayUrl } from "./url-policy.ts";
import type { GatewayAgent, GatewayConnector, GatewayConnectorOptions, GatewayTarget, ProbeResult, SendOptions, SendResult } from "./types.ts";

const DEFAULT_IDLE_CLOSE_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function createGatewayConnector(opts: GatewayConnectorOptions): GatewayConnector {
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const pool = new ConnectionPool({
    credentials: opts.credentials,
    ...(opts.logger ? { logger: opts.logger } : {}),
    idleCloseMs: opts.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS,
    connectTimeoutMs,
    clientVersion: opts.clientVersion ?? "0.1.0",
    ...(opts.onGatewayAlive ? { onAlive: opts.onGatewayAlive } : {}),
  });
  const queue = new KeyedSerialQueue();
  const log = opts.logger;

  function resolveTarget(t: GatewayTarget): { teammateId: number; url: string; tlsFingerprint: string | null } {
    const check = checkGatewayUrl(t.url, { tlsFingerprint: t.tlsFingerprint ?? null });
    if (!check.ok) throw new GatewayError("INSECURE_GATEWAY_URL", check.message);
    return { teammateId: t.teammateId, url: check.url, tlsFingerprint: check.tlsFingerprint };
  }

  async function probe(t: GatewayTarget, o: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    const started = Date.now();
    const budget = o.timeoutMs ?? connectTimeoutMs + 5000;
    const paired = () => opts.credentials.deviceToken(t.teammateId) !== null;
    const errorResult = (state: ProbeResult["state"], err: GatewayError): ProbeResult => ({
      state,
      latencyMs: Date.now() - started,
      paired: paired(),
      error: err.toInfo(),
    });
    let target: ReturnType<typeof resolveTarget>;
    try {
      target = resolveTarget(t);
    } catch (err) {
      return errorResult("error", toGatewayError(err, "probe"));
    }
    const health = await checkHealth(target.url, { timeoutMs: Math.min(budget, 5000), tlsFingerprint: target.tlsFingerprint });
    if (!health.ok) {
      const err = health.error ?? new GatewayError("GATEWAY_ERROR", "Health check failed.");
      return errorResult(err.code === "GATEWAY_UNREACHABLE" ? "unreachable" : "error", err);
    }
    if (!opts.credentials.gatewayToken(t.teammateId) && !opts.credentials.deviceToken(t.teammateId)) {
      return {
        state: "no_credentials",
        latencyMs: Date.now() - started,
        paired: false,
        error: { code: "AUTH_FAILED", message: "The gateway is up, but no gateway token is stored for this teammate.", details: { reason: "no-credentials" } },
      };
    }
    let lease;
    try {
      lease = await pool.acquire(target, { connectTimeoutMs: Math.max(500, Math.min(connectTimeoutMs, budget - (Date.now() - started))) });
    } catch (err) {
      const ge = toGatewayError(err, "connect");
      switch (ge.code) {
        case "AUTH_FAILED":
          return errorResult("auth_failed", ge);
        case "PAIRING_REQUIRED": {
          const d = rec(ge.details);
          const r = errorResult("pairing_required", ge);
          if (typeof d?.requestId === "string" && typeof d.approveCommand === "string") r.pairing = { requestId: d.requestId, approveCommand: d.approveCommand };
          return r;
        }
        case "GATEWAY_UNREACHABLE":
        case "GATEWAY_TIMEOUT":
          return errorResult("unreachable", ge);
        default:
          return errorResult("error", ge);
      }
    }
    try {
      const h = lease.conn.hello;
      const result: ProbeResult = {
        state: "online",
        latencyMs: Date.now() - started,
        ...(h.version ? { version: h.version } : {}),
        ...(h.protocol !== undefined ? { protocol: h.protocol } : {}),
        scopes: [...h.scopes],
        paired: h.paired || paired(),
      };
      if (!h.scopes.includes("operator.write")) {
        result.state = "error";
        result.error = {
          code: "MISSING_SCOPE",
          message:
            "Connected, but the gateway granted no write scope: connections from other machines must be paired (approve this dashboard's device on the gateway).",
          details: { scopes: h.scopes },
        };
      }
      return result;
    } finally {
      lease.release();
    }
  }

  async function send(t: GatewayTarget, o: SendOptions): Promise<SendResult> {
    const started = Date.now();
    const deadline = started + o.timeoutMs;
    let target: ReturnType<typeof resolveTarget>;
    try {
      target = resolveTarget(t);
    } catch (err) {
      return { outcome: "error", latencyMs: 0, error: toGatewayError(err, "send").toInfo() };
    }
    // one queue per (gateway, agent, session): different agents of one gateway run in parallel
    const sessionKey = qualifySessionKey(o.sessionKey, t.agentId);
    const withKey: SendOptions = {
      ...o,
      sessionKey,
      idempotencyKey: o.idempotencyKey ?? randomUUID(),
      ...(opts.replyMaxBytes !== undefined ? { replyMaxBytes: opts.replyMaxBytes } : {}),
    };
    let dequeued = false;
    const queued = queue.run(sessionQueueKey(target.url, sessionKey), async (): Promise<SendResult> => {
      dequeued = true;
      if (o.signal?.aborted) {
        return { outcome: "error", latencyMs: Date.now() - started, error: { code: "GATEWAY_ERROR", message: "The send was aborted before it started.", details: { aborted: true } } };
      }
      if (Date.now() >= deadline) return { outcome: "timeout", latencyMs: Date.now() - started };
      let lease;
      try {
        lease = await pool.acquire(target, { connectTimeoutMs: Math.max(250, Math.min(connectTimeoutMs, deadline - Date.now())), ...(o.signal ? { signal: o.signal } : {}) });
      } catch (err) {
        return { outcome: "error", latencyMs: Date.now() - started, error: toGatewayError(err, "connect").toInfo() };
      }
      try {
        const r = capReply(await sendOnConnection(lease.conn, withKey, started, deadline), opts.replyMaxBytes);
        log?.debug({ teammateId: t.teammateId, outcome: r.outcome, runId: r.runId, latencyMs: r.latencyMs }, "gateway send finished");
        return r;
      } finally {
        lease.release();
      }
    });
    const signal = o.signal;
    if (!signal) return queued;
    // An abort while waiting in the session queue ends the send at once; the queued task then sees
    // the aborted signal and returns without sending anything.
    return new Promise<SendResult>((resolve) => {
      const onAbort = () => {
        if (dequeued) return; // running: send() itself aborts the run and reports it
        resolve({ outcome: "error", latencyMs: Date.now() - started, error: { code: "GATEWAY_ERROR", message: "The send was aborted before it started.", details: { aborted: true } } });
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      void queued.then((r) => {
        signal.removeEventListener("abort", onAbort);
        resolve(r);
      });
    });
  }

  async function fetchLateReply(t: GatewayTarget, o: { sessionKey: string; runId: string; timeoutMs?: number; signal?: AbortSignal }): Promise<SendResult> {
    const started = Date.now();
    let lease;
    try {
      lease = await pool.acquire(resolveTarget(t));
    } catch (err) {
      return { outcome: "error", runId: o.runId, latencyMs: Date.now() - started, error: toGatewayError(err, "connect").toInfo() };
    }
    try {
      return capReply(await fetchLateReplyOnConnection(lease.conn, { ...o, sessionKey: qualifySessionKey(o.sessionKey, t.agentId) }, started), opts.replyMaxBytes);
    } finally {
      lease.release();
    }
  }

  async function abort(t: GatewayTarget, o: { sessionKey: string; runId: string }): Promise<void> {
    const lease = await pool.acquire(resolveTarget(t)).catch((err: unknown) => {
      throw toGatewayError(err, "connect");
    });
    try {
      await lease.conn.request("chat.abort", { sessionKey: qualifySessionKey(o.sessionKey, t.agentId), runId: o.runId }, { timeoutMs: 10_000 });
    } finally {
      lease.release();
    }
  }

  async function listAgents(t: GatewayTarget, o: { timeoutMs?: number } = {}): Promise<GatewayAgent[]> {
    const timeoutMs = o.timeoutMs ?? connectTimeoutMs;
    const lease = await pool.acquire(resolveTarget(t), { connectTimeoutMs: timeoutMs }).catch((err: unknown) => {
      throw toGatewayError(err, "connect");
    });
    try {
      return await listAgentsOnConnection(lease.conn, timeoutMs);
    } finally {
      lease.release();
    }
  }

  return {
    probe,
    send,
    fetchLateReply,
    abort,
    listAgents,
    forget: (teammateId) => pool.forget(teammateId),
    openConnections: () => pool.openCount(),
    close: () => pool.close(),
  };
}
