// Sending one message and waiting for the reply of THAT run.
//
//   chat.send {sessionKey, message, idempotencyKey}  → {runId, status: "started"}   (runId = key)
//   then, in parallel, whichever ends first:
//     - the `chat` event stream of the connection: `delta` (partial text → onDelta),
//       `final` (reply = its message), `error`, `aborted` — filtered by runId;
//     - `agent.wait {runId, timeoutMs}` → ok (terminalReply.text) | error | timeout | pending
//       (pending = queued follow-up: keep waiting until the deadline).
//   A finished run without reply text is looked up in `chat.history`: our user row carries
//   `idempotencyKey: "<key>:user"`, the reply is an assistant row with `__openclaw.runId === runId`.
//   No such row → `delivered_no_reply` (e.g. the message was steered into another active run).
import { randomUUID } from "node:crypto";
import type { GatewayConnection } from "./connection.ts";
import { GatewayError, redact, toGatewayError } from "./errors.ts";
import { capUtf8 } from "./reply-cap.ts";
import { findRunReply, messageText } from "./reply-matching.ts";
import type { SendOptions, SendResult } from "./types.ts";

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

type RunEnd =
  | { kind: "done"; text: string | undefined }
  | { kind: "run_error"; error: GatewayError }
  | { kind: "aborted"; byCaller: boolean }
  | { kind: "timeout" }
  | { kind: "lost"; error: GatewayError }
  | { kind: "failed"; error: GatewayError };

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function runErrorFrom(payload: Record<string, unknown>, runId: string, source: "event" | "wait"): GatewayError {
  const errorMessage = typeof payload.errorMessage === "string" ? payload.errorMessage : typeof payload.error === "string" ? payload.error : undefined;
  const details = {
    runId,
    runStatus: "error",
    source,
    ...(typeof payload.errorKind === "string" ? { errorKind: payload.errorKind } : {}),
    ...(typeof payload.stopReason === "string" ? { stopReason: payload.stopReason } : {}),
    ...(errorMessage ? { gatewayMessage: redact(errorMessage).slice(0, 500) } : {}),
    ...(rec(payload.errorDetail) ? { errorDetail: payload.errorDetail } : {}),
  };
  return new GatewayError("GATEWAY_ERROR", "The agent run failed on the gateway.", details);
}

// The reason the wait loop is stopped with once the run ended: abort() without one builds a
// DOMException with a stack trace per run (~30 µs, 2.6 % of a 2000-recipient broadcast's CPU).
const RUN_ENDED = Object.freeze(new Error("run ended"));

/**
 * How long a run that announced its end by a chat event may take to answer the agent.wait already
 * out for it. OpenClaw can send "final"/"aborted" while the session is still busy; the session
 * queue must not let the next message in before the run is over, or it is steered into it.
 */
const SETTLE_MS = 5000;

/** `p` or `ms`, whichever first (never rejects). */
function settled(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
}

/** Waits for the end of one run: chat events and agent.wait, whichever first, until the deadline. */
export async function awaitRun(
  conn: GatewayConnection,
  runIds: ReadonlySet<string>,
  deadline: number,
  o: { signal?: AbortSignal; onDelta?: (text: string) => void; waitRunId: string; replyMaxBytes?: number },
): Promise<RunEnd> {
  const stop = new AbortController();
  let streamed = "";
  let endedByEvent = false;
  let resolveEnd!: (e: RunEnd) => void;
  const ended = new Promise<RunEnd>((r) => (resolveEnd = r));

  const offEvent = conn.onEvent((e) => {
    if (e.event !== "chat") return;
    const p = rec(e.payload);
    if (!p || typeof p.runId !== "string" || !runIds.has(p.runId)) return;
    if (p.state === "delta") {
      const snapshot = messageText(p.message);
      if (snapshot !== undefined) streamed = snapshot;
      else if (typeof p.deltaText === "string") streamed = p.replace === true ? p.deltaText : streamed + p.deltaText;
      // a long reply streaming in is not held (or passed on) beyond the cap
      if (o.replyMaxBytes !== undefined) streamed = capUtf8(streamed, o.replyMaxBytes).text;
      try {
        o.onDelta?.(streamed);
      } catch {
        // the caller's callback must not break the wait
      }
    } else if (p.state === "final" && p.yielded !== true) {
      endedByEvent = true;
      resolveEnd({ kind: "done", text: messageText(p.message) });
    } else if (p.state === "error") {
      endedByEvent = true;
      resolveEnd({ kind: "run_error", error: runErrorFrom(p, p.runId, "event") });
    } else if (p.state === "aborted") {
      endedByEvent = true;
      resolveEnd({ kind: "aborted", byCaller: false });
    }
  });
  const offClose = conn.onClose((err) => resolveEnd({ kind: "lost", error: err }));
  const timer = setTimeout(() => resolveEnd({ kind: "timeout" }), Math.max(0, deadline - Date.now()));
  const onAbort = () => resolveEnd({ kind: "aborted", byCaller: true });
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener("abort", onAbort, { once: true });

  const waitLoop = (async () => {
    while (!stop.signal.aborted) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return resolveEnd({ kind: "timeout" });
      let r: Record<string, unknown>;
      try {
        r = await conn.request("agent.wait", { runId: o.waitRunId, timeoutMs: Math.round(remaining) }, { timeoutMs: remaining + 2000, signal: stop.signal });
      } catch (err) {
        if (stop.signal.aborted) return;
        const ge = toGatewayError(err, "agent.wait");
        if (ge.code === "GATEWAY_TIMEOUT") return resolveEnd({ kind: "timeout" });
        return resolveEnd(ge.code === "GATEWAY_UNREACHABLE" ? { kind: "lost", error: ge } : { kind: "failed", error: ge });
      }
      const status = r.status;
      if (status === "ok") {
        return resolveEnd({ kind: "done", text: messageText({ content: rec(r.terminalReply)?.text }) });
      }
      if (status === "error") return resolveEnd({ kind: "run_error", error: runErrorFrom(r, o.waitRunId, "wait") });
      // "timeout" (wait expired; the loop re-checks the deadline) or "pending" (queued follow-up)
      await abortableSleep(Math.min(status === "pending" ? 500 : 100, Math.max(0, deadline - Date.now())), stop.signal);
    }
  })();

  try {
    const end = await ended;
    // the wait loop returns once agent.wait reports the run over (ok / error)
    if (endedByEvent) await settled(waitLoop, Math.min(SETTLE_MS, Math.max(0, deadline - Date.now())));
    return end;
  } finally {
    stop.abort(RUN_ENDED);
    clearTimeout(timer);
    offEvent();
    offClose();
    o.signal?.removeEventListener("abort", onAbort);
    await waitLoop.catch(() => undefined);
  }
}

async function historyReply(conn: GatewayConnection, sessionKey: string, key: string | null, runId: string, timeoutMs: number) {
  const h = await conn.request("chat.history", { sessionKey, limit: 200 }, { timeoutMs });
  const messages = Array.isArray(h.messages) ? (h.messages as unknown[]) : [];
  return findRunReply(messages, key, runId);
}

const HISTORY_GRACE_MS = 5000;

/**
 * Marks the message as routed from another session (team traffic, not the owner's command).
 * OpenClaw refuses systemInputProvenance without operator.admin, a scope Team Mesh does not ask
 * for, so it is sent only on a connection that holds that scope anyway.
 */
function provenanceOf(conn: GatewayConnection, o: SendOptions): { systemInputProvenance?: Record<string, string> } {
  if (!o.sender || !conn.hello.scopes.includes("operator.admin")) return {};
  return { systemInputProvenance: { kind: "inter_session", sourceChannel: "team-mesh", sourceSessionKey: `team-mesh:${o.sender}`.slice(0, 256), sourceTool: "team-mesh" } };
}

export async function sendOnConnection(conn: GatewayConnection, o: SendOptions, startedAt: number, deadline: number): Promise<SendResult> {
  const key = o.idempotencyKey ?? randomUUID();
  const runIds = new Set([key]);
  const latency = () => Date.now() - startedAt;
  const errorResult = (err: GatewayError, runId?: string): SendResult => ({
    outcome: "error",
    ...(runId ? { runId } : {}),
    latencyMs: latency(),
    error: err.toInfo(),
  });

  // Events of this run can arrive before chat.send's answer; awaitRun listens from here on.
  let sendAnswer: Record<string, unknown>;
  const runPromiseHolder: { p?: Promise<RunEnd> } = {};
  const earlyEvents: { event: string; payload: unknown }[] = [];
  let wasOpen = false;
  const offEarly = conn.onEvent((e) => {
    if (e.event === "chat" && rec(e.payload)?.runId === key) earlyEvents.push(e);
  });
  try {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { outcome: "timeout", latencyMs: latency() };
    wasOpen = !conn.closed;
    sendAnswer = await conn.request("chat.send", { sessionKey: o.sessionKey, message: o.message, idempotencyKey: key, ...provenanceOf(conn, o) }, {
      timeoutMs: Math.min(remaining, 30_000),
      ...(o.signal ? { signal: o.signal } : {}),
      onSent: () => {
        try {
          o.onSent?.(key);
        } catch {
          // ignore callback errors
        }
      },
    });
  } catch (err) {
    offEarly();
    const ge = toGatewayError(err, "chat.send");
    if (ge.code === "GATEWAY_TIMEOUT") {
      return errorResult(
        new GatewayError("GATEWAY_TIMEOUT", "The gateway did not confirm the message in time; it may or may not have been delivered. Retrying with the same idempotency key never sends twice.", {
          idempotencyKey: key,
        }),
      );
    }
    // The connection dropped while chat.send was out: the gateway may have taken the message.
    // The key is reported as the run id (OpenClaw's run id is the key) so a retry reuses it and
    // the gateway dedupes instead of delivering twice. A connection already closed sent nothing.
    if (ge.code === "GATEWAY_UNREACHABLE" && wasOpen) {
      return errorResult(
        new GatewayError("GATEWAY_UNREACHABLE", `${ge.message} The message may have been delivered; retrying with the same idempotency key never sends twice.`, {
          ...(rec(ge.details) ?? {}),
          idempotencyKey: key,
          mayHaveBeenDelivered: true,
        }, ge.retryable),
        key,
      );
    }
    return errorResult(ge);
  }
  const runId = typeof sendAnswer.runId === "string" && sendAnswer.runId ? sendAnswer.runId : key;
  runIds.add(runId);
  try {
    o.onAccepted?.(runId);
  } catch {
    // ignore callback errors
  }

  // Replay events that arrived between the request and its answer.
  let early: RunEnd | null = null;
  for (const e of earlyEvents) {
    const p = rec(e.payload);
    if (p?.state === "final" && p.yielded !== true) early = { kind: "done", text: messageText(p.message) };
    else if (p?.state === "error") early = { kind: "run_error", error: runErrorFrom(p, runId, "event") };
  }
  offEarly();
  runPromiseHolder.p = early ? Promise.resolve(early) : awaitRun(conn, runIds, deadline, { ...o, waitRunId: runId });
  const end = await runPromiseHolder.p;

  switch (end.kind) {
    case "done": {
      if (end.text !== undefined && end.text.trim() !== "") return { outcome: "replied", runId, reply: end.text, latencyMs: latency() };
      try {
        const m = await historyReply(conn, o.sessionKey, key, runId, Math.max(deadline - Date.now(), HISTORY_GRACE_MS));
        if (m.kind === "reply") return { outcome: "replied", runId, reply: m.text, latencyMs: latency() };
        return { outcome: "delivered_no_reply", runId, latencyMs: latency() };
      } catch (err) {
        return errorResult(toGatewayError(err, "chat.history"), runId);
      }
    }
    case "timeout":
      return { outcome: "timeout", runId, latencyMs: latency() };
    case "run_error":
      return errorResult(end.error, runId);
    case "aborted": {
      if (end.byCaller) {
        await conn.request("chat.abort", { sessionKey: o.sessionKey, runId }, { timeoutMs: 5000 }).catch(() => undefined);
        return errorResult(new GatewayError("GATEWAY_ERROR", "The send was aborted; the run was cancelled on the gateway.", { aborted: true, runId }), runId);
      }
      return errorResult(new GatewayError("GATEWAY_ERROR", "The run was aborted on the gateway.", { aborted: true, runId }), runId);
    }
    case "lost":
    case "failed":
      return errorResult(
        new GatewayError(end.error.code, `${end.error.message} The message was accepted (run ${runId}); fetch the reply later.`, {
          ...(rec(end.error.details) ?? {}),
          runId,
        }, end.error.retryable),
        runId,
      );
  }
}

/** The reply of an earlier run (e.g. after a `timeout` outcome). */
export async function fetchLateReplyOnConnection(
  conn: GatewayConnection,
  o: { sessionKey: string; runId: string; timeoutMs?: number; signal?: AbortSignal },
  startedAt: number,
): Promise<SendResult> {
  const latency = () => Date.now() - startedAt;
  const waitMs = Math.max(500, o.timeoutMs ?? 2000);
  try {
    const first = await historyReply(conn, o.sessionKey, o.runId, o.runId, Math.max(waitMs, HISTORY_GRACE_MS));
    if (first.kind === "reply") return { outcome: "replied", runId: o.runId, reply: first.text, latencyMs: latency() };
    if (o.signal?.aborted) return { outcome: "timeout", runId: o.runId, latencyMs: latency() };
    const end = await awaitRun(conn, new Set([o.runId]), Date.now() + waitMs, { waitRunId: o.runId, ...(o.signal ? { signal: o.signal } : {}) });
    if (end.kind === "done") {
      if (end.text !== undefined && end.text.trim() !== "") return { outcome: "replied", runId: o.runId, reply: end.text, latencyMs: latency() };
      const again = await historyReply(conn, o.sessionKey, o.runId, o.runId, HISTORY_GRACE_MS);
      if (again.kind === "reply") return { outcome: "replied", runId: o.runId, reply: again.text, latencyMs: latency() };
      return { outcome: "delivered_no_reply", runId: o.runId, latencyMs: latency() };
    }
    if (end.kind === "timeout" || (end.kind === "aborted" && end.byCaller)) return { outcome: "timeout", runId: o.runId, latencyMs: latency() };
    const err =
      end.kind === "aborted"
        ? new GatewayError("GATEWAY_ERROR", "The run was aborted on the gateway.", { aborted: true, runId: o.runId })
        : end.error;
    return { outcome: "error", runId: o.runId, latencyMs: latency(), error: err.toInfo() };
  } catch (err) {
    return { outcome: "error", runId: o.runId, latencyMs: latency(), error: toGatewayError(err, "chat.history").toInfo() };
  }
}
