// One delivery attempt to one agent: the unit both send rounds and broadcast recipients use.
// The audit entry is written as `pending` synchronously BEFORE the connector is called, so a
// crash mid-send leaves a trace (marked `interrupted` at the next start), and completed after.
import type { DeliveryStatus } from "../../shared/api/messages.ts";
import type { AuditLog } from "../audit/types.ts";
import type { GatewayConnector, GatewayTarget, SendResult } from "../gateway/types.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/index.ts";
import type { AbortReason, InFlight } from "./inflight.ts";
import { deliveryStatusOf } from "./outcome.ts";

export interface DeliveryInput {
  target: GatewayTarget;
  handle: string;
  session: string;
  message: string;
  timeoutSec: number;
  actor: string;
  messageId?: string | null;
  broadcastId?: string | null;
  details?: Record<string, unknown>;
  idempotencyKey?: string;
  signal: AbortSignal;
  onDelta?: (text: string) => void;
  onAccepted?: (runId: string) => void;
  /** Called when chat.send was written to the gateway's socket, with its idempotency key. */
  onSent?: (idempotencyKey: string) => void;
  /** Called right after the pending audit entry is written (before the connector is called). */
  onPending?: (auditId: number) => void;
}

export interface DeliveryResult {
  status: DeliveryStatus;
  reply: string | null;
  /** Full size of a reply the connector cut to MESH_REPLY_MAX_BYTES (null: kept whole). */
  replyFullBytes: number | null;
  runId: string | null;
  latencyMs: number | null;
  error: { code: string; message: string } | null;
  auditId: number | null;
  /**
   * Only for `cancelled_after_send`: waits (until the send's deadline, or `signal`) for a reply
   * the agent sends anyway; resolves with it (a `late_reply` audit entry is written) or null.
   * Never rejects. Use followLateReply().
   */
  lateReply: ((signal: AbortSignal) => Promise<LateReply | null>) | null;
}

export interface LateReply {
  reply: string;
  replyFullBytes: number | null;
  latencyMs: number;
}

export interface DeliveryDeps {
  audit: AuditLog;
  connector: GatewayConnector;
  logger: Logger;
  metrics: Metrics;
}

/** Extra time the connector gets beyond the request's timeout before we stop waiting for it. */
const CONNECTOR_GRACE_MS = 5_000;

type Raced = { kind: "result"; result: SendResult } | { kind: "aborted"; reason: AbortReason } | { kind: "stuck" };

export async function deliver(deps: DeliveryDeps, input: DeliveryInput, kind: "message" | "broadcast"): Promise<DeliveryResult> {
  const abortedStatus = (): "interrupted" | "cancelled" => ((input.signal.reason as AbortReason) === "interrupted" ? "interrupted" : "cancelled");
  if (input.signal.aborted) {
    return { status: abortedStatus(), reply: null, replyFullBytes: null, runId: null, latencyMs: null, error: null, auditId: null, lateReply: null };
  }
  const entry = deps.audit.append({
    actor: input.actor,
    kind: "send",
    outcome: "pending",
    teammate: input.handle,
    gatewayUrl: input.target.url,
    session: input.session,
    message: input.message,
    messageId: input.messageId ?? null,
    broadcastId: input.broadcastId ?? null,
    details: input.details ?? null,
  });
  input.onPending?.(entry.id);
  // Appends share one transaction per event-loop turn (db/write-batch.ts): chat.send goes out
  // only once the pending entry is committed, or a crash could lose the trace of a sent message.
  try {
    await deps.audit.durable();
  } catch (err) {
    deps.logger.error({ err, teammate: input.handle }, "the pending audit entry was not saved: nothing sent");
    const error = { code: "INTERNAL", message: "the audit entry could not be saved, so the message was not sent" };
    return { status: "error", reply: null, replyFullBytes: null, runId: null, latencyMs: null, error, auditId: null, lateReply: null };
  }
  if (input.signal.aborted) {
    const status = abortedStatus();
    completeQuietly(deps, entry.id, { outcome: status, runId: null, reply: null, errorCode: null, errorMessage: null, latencyMs: null });
    return { status, reply: null, replyFullBytes: null, runId: null, latencyMs: null, error: null, auditId: entry.id, lateReply: null };
  }

  const started = Date.now();
  let runId: string | null = null;
  // Set the moment chat.send was written to the socket: from then on the gateway may have it.
  let sentKey: string | null = null;
  const local = new AbortController();
  // The server stopping (reason "interrupted") ends the wait, not the run: the connector's send is
  // not aborted and no chat.abort goes out, so — as after a crash — the run goes on on the gateway
  // and a retry under the same key picks up its reply. (Aborting it made that retry end
  // GATEWAY_ERROR, and the next retry sent the message again under a fresh key.) Only a cancel
  // aborts the send and the run.
  let interrupt = () => {};
  const interrupted = new Promise<Raced>((resolve) => (interrupt = () => resolve({ kind: "aborted", reason: "interrupted" })));
  const onAbort = () => ((input.signal.reason as AbortReason) === "interrupted" ? interrupt() : local.abort(input.signal.reason));
  input.signal.addEventListener("abort", onAbort, { once: true });

  let timer: NodeJS.Timeout | undefined;
  let raced: Raced;
  try {
    raced = await Promise.race<Raced>([
      deps.connector
        .send(input.target, {
          sessionKey: input.session,
          message: input.message,
          timeoutMs: input.timeoutSec * 1000,
          idempotencyKey: input.idempotencyKey,
          sender: input.actor,
          signal: local.signal,
          onDelta: input.onDelta,
          onSent: (key) => {
            sentKey = key;
            input.onSent?.(key);
          },
          onAccepted: (id) => {
            runId = id;
            input.onAccepted?.(id);
          },
        })
        .then(
          (result): Raced => ({ kind: "result", result }),
          (err: unknown): Raced => ({
            kind: "result",
            result: {
              outcome: "error",
              latencyMs: Date.now() - started,
              error: { code: "GATEWAY_ERROR", message: err instanceof Error ? err.message : String(err) },
            },
          }),
        ),
      new Promise<Raced>((resolve) => {
        if (local.signal.aborted) resolve({ kind: "aborted", reason: local.signal.reason as AbortReason });
        local.signal.addEventListener("abort", () => resolve({ kind: "aborted", reason: local.signal.reason as AbortReason }), {
          once: true,
        });
      }),
      interrupted,
      new Promise<Raced>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "stuck" }), input.timeoutSec * 1000 + CONNECTOR_GRACE_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener("abort", onAbort);
  }

  let out: DeliveryResult;
  if (raced.kind === "result") {
    const r = raced.result;
    runId = r.runId ?? runId;
    const status = deliveryStatusOf(r);
    out = {
      status,
      reply: status === "replied" ? (r.reply ?? "") : (r.reply ?? null),
      replyFullBytes: r.replyFullBytes ?? null,
      runId,
      latencyMs: r.latencyMs ?? Date.now() - started,
      error: r.error ? { code: r.error.code, message: r.error.message } : null,
      auditId: entry.id,
      lateReply: null,
    };
  } else if (raced.kind === "aborted") {
    // Once chat.send was written the gateway may have the message even before it answered: its
    // run id is the idempotency key we sent (OpenClaw's run id is the key), so a cancel aborts that
    // run. The server stopping does not: the run goes on and a retry under the same key picks up
    // its reply (see onAbort above).
    const known: string | null = runId ?? sentKey;
    const interrupted = raced.reason === "interrupted";
    const aborting =
      known && !interrupted
        ? deps.connector.abort(input.target, { sessionKey: input.session, runId: known }).catch((err: unknown) => {
            deps.logger.debug({ err, teammate: input.handle }, "abort of run failed");
          })
        : null;
    const status: DeliveryStatus = interrupted ? "interrupted" : known ? "cancelled_after_send" : "cancelled";
    out = {
      status,
      reply: null,
      replyFullBytes: null,
      runId: known,
      latencyMs: Date.now() - started,
      error: interrupted
        ? { code: "SHUTTING_DOWN", message: "the run was interrupted" }
        : known
          ? {
              code: "CANCELLED",
              message: `cancelled after the message may have been delivered: the gateway was asked to abort run ${known}; a reply the agent sends anyway is still collected`,
            }
          : { code: "CANCELLED", message: "the run was cancelled" },
      auditId: entry.id,
      lateReply: status === "cancelled_after_send" && known ? (signal) => collectLateReply(deps, input, known, entry.id, started, aborting, signal) : null,
    };
  } else {
    out = {
      status: "timeout",
      reply: null,
      replyFullBytes: null,
      runId,
      latencyMs: Date.now() - started,
      error: { code: "GATEWAY_TIMEOUT", message: `no answer from the gateway within ${input.timeoutSec} s` },
      auditId: entry.id,
      lateReply: null,
    };
    local.abort("cancelled");
  }

  completeQuietly(deps, entry.id, {
    outcome: out.status as Exclude<DeliveryStatus, "queued" | "sending">,
    runId: out.runId,
    reply: out.reply,
    errorCode: out.error?.code ?? null,
    errorMessage: out.error?.message ?? null,
    latencyMs: out.latencyMs,
  });
  deps.metrics.observeSend(out.status, out.latencyMs, kind);
  return out;
}

function completeQuietly(deps: DeliveryDeps, auditId: number, completion: Parameters<AuditLog["complete"]>[1]): void {
  try {
    deps.audit.complete(auditId, completion);
  } catch (err) {
    // Already completed (e.g. marked interrupted by shutdown) or the database is closing.
    deps.logger.warn({ err: (err as Error).message, auditId }, "could not complete audit entry");
  }
}

/**
 * After a cancel that came too late to stop chat.send: the agent may answer anyway (the gateway
 * ignored or missed the abort). Wait for that run's reply until the send's own deadline; a reply
 * found is written as a `late_reply` audit entry and handed to the caller.
 */
async function collectLateReply(
  deps: DeliveryDeps,
  input: DeliveryInput,
  runId: string,
  originalAuditId: number,
  started: number,
  aborting: Promise<unknown> | null,
  signal: AbortSignal,
): Promise<LateReply | null> {
  try {
    await aborting;
    if (signal.aborted) return null;
    const waitMs = Math.max(1_000, started + input.timeoutSec * 1000 - Date.now());
    const r = await deps.connector.fetchLateReply(input.target, { sessionKey: input.session, runId, timeoutMs: waitMs, signal });
    if (signal.aborted) return null;
    if (r.outcome !== "replied" || typeof r.reply !== "string") return null;
    deps.audit.append({
      actor: input.actor,
      kind: "late_reply",
      outcome: "replied",
      teammate: input.handle,
      gatewayUrl: input.target.url,
      session: input.session,
      messageId: input.messageId ?? null,
      broadcastId: input.broadcastId ?? null,
      runId,
      reply: r.reply,
      latencyMs: r.latencyMs,
      details: { ...(input.details ?? {}), originalAuditId, afterCancel: true },
    });
    return { reply: r.reply, replyFullBytes: r.replyFullBytes ?? null, latencyMs: r.latencyMs };
  } catch (err) {
    deps.logger.debug({ err, teammate: input.handle, runId }, "no late reply after cancel");
    return null;
  }
}

/**
 * Waits for a cancelled_after_send attempt's late reply in the background. Not tracked as
 * in-flight work (shutdown does not wait for a reply the user cancelled); its controller is
 * aborted with the rest at the end of the grace period, and closing the connector ends it too.
 */
export function followLateReply(inflight: InFlight, result: DeliveryResult, record: (late: LateReply) => void): void {
  const wait = result.lateReply;
  if (!wait) return;
  const { controller, done } = inflight.controller();
  void wait(controller.signal)
    .then((late) => {
      if (late) record(late);
    })
    .catch(() => undefined)
    .finally(done);
}
