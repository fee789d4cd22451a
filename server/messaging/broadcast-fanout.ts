// A confirmed (or retried) broadcast's fan-out: every queued recipient at once, or up to
// MESH_BROADCAST_CONCURRENCY, each through deliver() with the teammate's current address and
// credentials; fallback webhooks beside it; cancel/shutdown through one abort signal; the
// broadcast ends `completed` (or `cancelled`) with a definite status on every recipient.
import { gatewayTargetOf } from "../teammates/gateway-target.ts";
import { FINAL_STATUSES } from "../../shared/api/messages.ts";
import type { Principal } from "../auth/types.ts";
import type { GatewayTarget } from "../gateway/types.ts";
import type { BroadcastQueries, BroadcastRow, RecipientRow } from "./broadcast-rows.ts";
import { recipientOf } from "./broadcast-rows.ts";
import { deliver, followLateReply } from "./deliver.ts";
import type { MessagingDeps } from "./deps.ts";
import type { FallbackReason } from "./fallback.ts";
import { forEachLimited } from "./limited.ts";
import { writeBatchOf } from "../db/write-batch.ts";

export type FanOut = ReturnType<typeof createFanOut>;

/** `publish(id)`: the broadcast's current state to the event bus. */
export function createFanOut(deps: MessagingDeps, q: BroadcastQueries, publish: (id: string) => void) {
  /** Broadcasts being sent by this process: id → controller (cancel aborts in-flight runs). */
  const running = new Map<string, { controller: AbortController; promise: Promise<void> }>();
  const writes = writeBatchOf(deps.db.$client); // recipient updates join the turn's transaction (db/write-batch.ts)

  async function fanOut(id: string, principal: Principal, controller: AbortController, notifySkipped: boolean): Promise<void> {
    const started = Date.now();
    const row = q.get.get({ id }) as BroadcastRow;
    const all = q.recipients.all({ id });
    const queued = all.filter((r) => r.skipReason === null && r.status === "queued");
    // Every recipient at once unless capped: a broadcast then takes one reply time (the slowest),
    // not N / cap of them. Sends to one (gateway address, session) still queue in the connector.
    const cap = deps.config.broadcastConcurrency;
    const fallbackOn = row.fallback && deps.fallback.enabled;
    // Webhook calls run beside the fan-out (a slow or hanging webhook never holds a worker, so
    // other recipients are not delayed) and are awaited before the broadcast completes.
    const notifications: Promise<unknown>[] = [];
    const notify = (handle: string, reason: FallbackReason) => {
      notifications.push(
        deps.fallback.notify({ handle, message: row.message, reason, actor: principal.label, broadcastId: id }).catch((err: unknown) => {
          deps.logger.warn({ err, broadcastId: id, teammate: handle }, "fallback notification failed unexpectedly");
        }),
      );
    };

    const writeRecipient = (r: RecipientRow) => {
      r.updatedAt = Date.now();
      writes.join();
      q.setRecipient.run(r);
      deps.bus.publish({ type: "broadcast.recipient", id, recipient: recipientOf(r) });
    };

    // One listener on the broadcast's signal, however many recipients: a listener per recipient
    // on one signal costs O(n) each to add (EventTarget looks for duplicates), O(n²) in all.
    const inFlight = new Set<AbortController>();
    controller.signal.addEventListener("abort", () => {
      for (const c of inFlight) c.abort(controller.signal.reason);
    }, { once: true });

    async function one(r: RecipientRow): Promise<void> {
      if (controller.signal.aborted) return; // left queued: cancelled/interrupted below
      // The registry as it is NOW decides where the message goes: the credentials are the
      // teammate's current ones, so they must never go to an address the teammate has since left
      // (an edited URL) or that was removed. Recipients stay the ones frozen at create time.
      const teammate = r.teammateId === null ? null : deps.registry.byId(r.teammateId);
      if (!teammate) {
        Object.assign(r, { status: "error", errorCode: "TEAMMATE_NOT_FOUND", errorMessage: "the teammate was removed" });
        writeRecipient(r);
        return;
      }
      const url = teammate.gatewayUrl;
      const unusable: { code: "NO_ADDRESS" | "NO_CREDENTIALS"; message: string; reason: FallbackReason } | null = !url
        ? { code: "NO_ADDRESS", message: "the teammate's gateway address was removed after the broadcast was created", reason: "no_address" }
        : !deps.registry.hasToken(teammate.id)
          ? { code: "NO_CREDENTIALS", message: "the teammate's gateway token was removed after the broadcast was created", reason: "no_credentials" }
          : null;
      if (!url || unusable) {
        Object.assign(r, { status: "error", errorCode: unusable?.code ?? "NO_ADDRESS", errorMessage: unusable?.message ?? "no gateway address" });
        writeRecipient(r);
        if (fallbackOn) notify(r.handle, unusable?.reason ?? "no_address");
        return;
      }
      r.gatewayUrl = url;
      const target: GatewayTarget = gatewayTargetOf(teammate, url);
      // A retry of an attempt the gateway accepted (its run id is known) whose run did not fail
      // on the gateway — it timed out, the connection was lost, the server stopped — reuses that
      // attempt's idempotency key: the gateway never delivers one key twice, so the agent does
      // not get the message again (it may well have replied late); the retry waits for that
      // run's reply instead. A run that failed on the gateway (GATEWAY_ERROR) is sent afresh.
      const reuse = r.runId !== null && r.errorCode !== "GATEWAY_ERROR" ? r.runId : null;
      r.status = "sending";
      r.attempts += 1;
      const attempt = r.attempts;
      const idempotencyKey = reuse ?? `${id}-${r.handle}-${attempt}`;
      // Until the gateway answers, the run id is the key (OpenClaw's run id is the key): a crash
      // before the answer leaves the key on record, so a retry cannot send a second copy.
      Object.assign(r, { runId: idempotencyKey, errorCode: null, errorMessage: null, reply: null, replyFullBytes: null, latencyMs: null });
      const recipientAbort = new AbortController();
      inFlight.add(recipientAbort);
      const result = await deliver(
        deps,
        {
          target,
          handle: r.handle,
          session: row.session,
          message: row.message,
          timeoutSec: row.timeoutSec,
          actor: principal.label,
          broadcastId: id,
          details: reuse ? { attempt, sameRunAs: reuse } : { attempt },
          idempotencyKey,
          signal: recipientAbort.signal,
          onPending: (auditId) => {
            r.auditId = auditId;
            writeRecipient(r);
          },
          onAccepted: (runId) => {
            // OpenClaw's run id is the idempotency key, already on the row since onPending: a
            // second write (and event) per recipient would say nothing new
            if (r.runId === runId) return;
            r.runId = runId;
            writeRecipient(r);
          },
        },
        "broadcast",
      );
      inFlight.delete(recipientAbort);
      Object.assign(r, {
        status: result.status,
        reply: result.reply,
        replyFullBytes: result.replyFullBytes,
        // no answer in time, or stopped mid-send: the gateway may have the message — keep the key
        runId: result.runId ?? (result.status === "timeout" || result.status === "interrupted" || result.error?.code === "GATEWAY_TIMEOUT" ? idempotencyKey : null),
        latencyMs: result.latencyMs,
        errorCode: result.error?.code ?? null,
        errorMessage: result.error?.message ?? null,
        auditId: result.auditId ?? r.auditId,
      });
      writeRecipient(r);
      // cancelled after chat.send left: a reply the agent sends anyway is still shown on the recipient
      followLateReply(deps.inflight, result, (late) => {
        if (r.status !== "cancelled_after_send" || r.reply !== null) return;
        Object.assign(r, { reply: late.reply, replyFullBytes: late.replyFullBytes });
        try {
          writeRecipient(r);
        } catch (err) {
          deps.logger.warn({ err, broadcastId: id, teammate: r.handle }, "could not record a late reply after cancel");
        }
      });
      if (result.status === "unreachable" && fallbackOn) notify(r.handle, "unreachable");
    }

    const sending = forEachLimited(queued, cap, async (r) => {
      try {
        await one(r);
      } catch (err) {
        deps.logger.error({ err, broadcastId: id, teammate: r.handle }, "broadcast recipient failed unexpectedly");
        Object.assign(r, { status: "error", errorCode: "INTERNAL", errorMessage: "internal error" });
        try {
          writeRecipient(r);
        } catch {
          /* database closing */
        }
      }
    });
    if (notifySkipped && fallbackOn) {
      for (const s of all) if (s.skipReason === "no_address" || s.skipReason === "no_credentials") notify(s.handle, s.skipReason);
    }
    await sending;
    await Promise.all(notifications);

    const reason = controller.signal.aborted ? (controller.signal.reason as string) : null;
    const finalStatus = reason === "interrupted" ? "interrupted" : "cancelled";
    // Every recipient ends with a definite status.
    for (const r of q.recipients.all({ id })) {
      if (r.skipReason === null && !FINAL_STATUSES.includes(r.status)) {
        r.status = finalStatus;
        writeRecipient(r);
      }
    }
    q.finish.run({ state: reason === "cancelled" ? "cancelled" : "completed", completedAt: Date.now(), id });
    deps.metrics.observeBroadcast(queued.length, Date.now() - started);
    publish(id);
  }

  function start(id: string, principal: Principal, notifySkipped: boolean): Promise<void> {
    const { controller, done } = deps.inflight.controller();
    const promise = fanOut(id, principal, controller, notifySkipped)
      .catch((err: unknown) => {
        deps.logger.error({ err, broadcastId: id }, "broadcast fan-out failed");
        try {
          q.finish.run({ state: "completed", completedAt: Date.now(), id });
        } catch {
          /* database closing */
        }
      })
      .finally(() => {
        running.delete(id);
        done();
      });
    running.set(id, { controller, promise });
    deps.inflight.track(promise);
    return promise;
  }

  return { running, start };
}
