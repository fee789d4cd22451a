// One delivery attempt to one agent: the unit both send rounds and broadcast recipients use.
// The audit entry is written as `pending` synchronously BEFORE the connector is called, so a
// crash mid-send leaves a trace (marked `interrupted` at the next start), and completed after.
import type { DeliveryStatus } from "../../shared/api/messages.ts";
import type { AuditLog } from "../audit/types.ts";
import type { GatewayConnector, GatewayTarget, SendResult } from "../gateway/types.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics/index.ts";
import type { AbortReason } from "./inflight.ts";
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
  const abortedStatus = (): DeliveryStatus => ((input.signal.reason as AbortReason) === "interrupted" ? "interrupted" : "cancelled");
  if (input.signal.aborted) {
    return { status: abortedStatus(), reply: null, replyFullBytes: null, runId: null, latencyMs: null, error: null, auditId: null };
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

  const started = Date.now();
  let runId: string | null = null;
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
          signal: local.signal,
          onDelta: input.onDelta,
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
    };
  } else if (raced.kind === "aborted") {
    if (runId && raced.reason !== "interrupted") {
      deps.connector.abort(input.target, { sessionKey: input.session, runId }).catch((err: unknown) => {
        deps.logger.debug({ err, teammate: input.handle }, "abort of run failed");
      });
    }
    const status: DeliveryStatus = raced.reason === "interrupted" ? "interrupted" : "cancelled";
    out = {
      status,
      reply: null,
      replyFullBytes: null,
      runId,
      latencyMs: Date.now() - started,
      error: { code: status === "interrupted" ? "SHUTTING_DOWN" : "CANCELLED", message: `the run was ${status}` },
      auditId: entry.id,
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
    };
    local.abort("cancelled");
  }

  try {
    deps.audit.complete(entry.id, {
      outcome: out.status as Exclude<DeliveryStatus, "queued" | "sending">,
      runId: out.runId,
      reply: out.reply,
      errorCode: out.error?.code ?? null,
      errorMessage: out.error?.message ?? null,
      latencyMs: out.latencyMs,
    });
  } catch (err) {
    // Already completed (e.g. marked interrupted by shutdown) or the database is closing.
    deps.logger.warn({ err: (err as Error).message, auditId: entry.id }, "could not complete audit entry");
  }
  deps.metrics.observeSend(out.status, out.latencyMs, kind);
  return out;
}
