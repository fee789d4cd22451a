// Broadcasts, always in two steps: create (recipients frozen, awaiting confirmation, a
// confirmation token that binds id, message hash, recipients and expiry) then confirm (atomic
// awaiting → sending, fan-out to every recipient at once, or up to a configured cap). Cancel
// and retry as documented in server/messaging/README.md.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { z } from "zod";
import { utf8Bytes } from "../../shared/limits.ts";
import type { Actor, Warning } from "../../shared/api/common.ts";
import {
  Broadcast as BroadcastSchema,
  BroadcastPreview as BroadcastPreviewSchema,
  type BroadcastCreate as BroadcastCreateSchema,
  type Recipient,
} from "../../shared/api/broadcasts.ts";
import { FAILED_STATUSES, FINAL_STATUSES, type DeliveryStatus } from "../../shared/api/messages.ts";
import type { Principal } from "../auth/types.ts";
import type { GatewayTarget } from "../gateway/types.ts";
import { ApiError } from "../errors.ts";
import { deliver, followLateReply } from "./deliver.ts";
import type { FallbackReason } from "./fallback.ts";
import { iso, isoOrNull } from "./outcome.ts";
import { actorOf, checkHardLimit, isActor, sha256Hex, sizeWarnings, type MessagingDeps } from "./send.ts";
import { forEachLimited } from "./limited.ts";
import { writeBatchOf } from "../db/write-batch.ts";

export type BroadcastCreate = z.output<typeof BroadcastCreateSchema>;
export type Broadcast = z.infer<typeof BroadcastSchema>;
export type BroadcastPreview = z.infer<typeof BroadcastPreviewSchema>;

interface BroadcastRow {
  id: string;
  state: string;
  message: string;
  message_bytes: number;
  sha256: string;
  session: string;
  timeout_sec: number;
  fallback: number;
  warnings: string;
  confirm_token_hash: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  confirmed_by: string | null;
  confirmed_at: number | null;
  completed_at: number | null;
}

interface RecipientRow {
  broadcast_id: string;
  teammate_id: number | null;
  handle: string;
  name: string;
  display_name: string | null;
  gateway_url: string | null;
  skip_reason: string | null;
  status: string;
  reply: string | null;
  reply_full_bytes: number | null;
  run_id: string | null;
  latency_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  audit_id: number | null;
  updated_at: number;
}

export interface BroadcastService {
  create(req: BroadcastCreate, principal: Principal): { kind: "preview"; preview: BroadcastPreview } | { kind: "created"; broadcast: Broadcast };
  get(id: string, principal: Principal | null): Broadcast;
  list(principal: Principal | null, limit?: number): Broadcast[];
  confirm(id: string, token: string, wait: boolean, principal: Principal): Promise<Broadcast>;
  cancel(id: string, principal: Principal): Promise<Broadcast>;
  retry(id: string, wait: boolean, principal: Principal): Promise<Broadcast>;
  /** Start-up: broadcasts left `sending` get their queued/sending recipients interrupted. */
  interruptUnfinished(): number;
}

export interface BroadcastOptions {
  /** May this principal see confirmation tokens? (permission broadcast:confirm) */
  canConfirm(principal: Principal): boolean;
  /** May this caller cancel a broadcast someone else created? (Their own they always may.) */
  mayCancelOthers(principal: Principal): boolean;
}

const KEY_SETTING = "broadcast_key";

type SkipReason = "self" | "no_address" | "no_credentials";

/**
 * Why nobody would receive a broadcast, naming who is skipped and why, e.g. "Nobody to broadcast
 * to: me is you (this server's own agent); carol has no gateway address. Nothing was stored."
 */
export function noRecipientsMessage(skipped: readonly { handle: string; reason: SkipReason }[]): string {
  if (skipped.length === 0) return "Nobody to broadcast to: there are no teammates yet. Nothing was stored.";
  const names = (reason: SkipReason) => {
    const handles = skipped.filter((s) => s.reason === reason).map((s) => s.handle);
    const shown = handles.slice(0, 5).join(", ");
    return { n: handles.length, text: handles.length > 5 ? `${shown} and ${handles.length - 5} more` : shown };
  };
  const self = names("self");
  const noAddress = names("no_address");
  const noToken = names("no_credentials");
  const parts = [
    self.n ? `${self.text} is you (this server's own agent)` : null,
    noAddress.n ? `${noAddress.text} ${noAddress.n === 1 ? "has" : "have"} no gateway address` : null,
    noToken.n ? `${noToken.text} ${noToken.n === 1 ? "has" : "have"} no gateway token` : null,
  ].filter((x): x is string => x !== null);
  return `Nobody to broadcast to: ${parts.join("; ")}. Nothing was stored.`;
}

export function createBroadcastService(deps: MessagingDeps, opts: BroadcastOptions): BroadcastService {
  const sqlite = deps.db.$client;
  const writes = writeBatchOf(sqlite); // recipient updates join the turn's transaction (db/write-batch.ts)
  const q = {
    insert: sqlite.prepare(
      `insert into broadcasts (id, state, message, message_bytes, sha256, session, timeout_sec, fallback, warnings, confirm_token_hash, created_by, created_at, expires_at)
       values (@id, @state, @message, @message_bytes, @sha256, @session, @timeout_sec, @fallback, @warnings, @confirm_token_hash, @created_by, @created_at, @expires_at)`,
    ),
    insertRecipient: sqlite.prepare(
      `insert into broadcast_recipients (broadcast_id, teammate_id, handle, name, display_name, gateway_url, skip_reason, status, attempts, updated_at)
       values (@broadcast_id, @teammate_id, @handle, @name, @display_name, @gateway_url, @skip_reason, @status, 0, @updated_at)`,
    ),
    get: sqlite.prepare<[string], BroadcastRow>("select * from broadcasts where id = ?"),
    list: sqlite.prepare<[number], BroadcastRow>("select * from broadcasts order by created_at desc, rowid desc limit ?"),
    recipients: sqlite.prepare<[string], RecipientRow>("select * from broadcast_recipients where broadcast_id = ? order by handle"),
    toSending: sqlite.prepare(
      "update broadcasts set state = 'sending', confirmed_by = ?, confirmed_at = ? where id = ? and state = 'awaiting_confirmation' and expires_at > ?",
    ),
    retryToSending: sqlite.prepare("update broadcasts set state = 'sending', completed_at = null where id = ? and state = 'completed'"),
    cancelAwaiting: sqlite.prepare("update broadcasts set state = 'cancelled', completed_at = ? where id = ? and state in ('awaiting_confirmation', 'expired')"),
    expire: sqlite.prepare("update broadcasts set state = 'expired' where id = ? and state = 'awaiting_confirmation' and expires_at <= ?"),
    finish: sqlite.prepare("update broadcasts set state = ?, completed_at = ? where id = ?"),
    setRecipient: sqlite.prepare(
      `update broadcast_recipients set status = @status, reply = @reply, reply_full_bytes = @reply_full_bytes, run_id = @run_id, latency_ms = @latency_ms, error_code = @error_code,
         error_message = @error_message, attempts = @attempts, audit_id = @audit_id, gateway_url = @gateway_url, updated_at = @updated_at
       where broadcast_id = @broadcast_id and handle = @handle`,
    ),
    cancelQueued: sqlite.prepare(
      "update broadcast_recipients set status = 'cancelled', updated_at = ? where broadcast_id = ? and skip_reason is null and status = 'queued'",
    ),
  };
  /** Broadcasts being sent by this process: id → controller (cancel aborts in-flight runs). */
  const running = new Map<string, { controller: AbortController; promise: Promise<void> }>();

  function key(): Buffer {
    let k = deps.vault.openSetting(KEY_SETTING);
    if (!k) {
      k = randomBytes(32);
      deps.vault.sealSetting(KEY_SETTING, k);
    }
    return k;
  }
  const tokenFor = (row: Pick<BroadcastRow, "id" | "sha256" | "expires_at">, handles: string[]): string =>
    createHmac("sha256", key())
      .update(`${row.id}|${row.sha256}|${[...handles].sort().join(",")}|${row.expires_at}`)
      .digest("base64url");
  const hashToken = (token: string) => sha256Hex(token);

  /**
   * The row that is about to be sent must still be the one confirmed: the text must hash to the
   * stored sha256, and the stored token hash (an HMAC under the vault-sealed key over id, sha256,
   * recipients, expiry) must still match, so a row edited in the database (text, or text and hash)
   * is refused instead of sent. Checked synchronously right before the fan-out reads the row.
   */
  function assertIntact(row: BroadcastRow, handles: string[], action: "confirm" | "retry", principal: Principal): void {
    const textOk = sha256Hex(row.message) === row.sha256;
    const bindingOk = hashToken(tokenFor(row, handles)) === row.confirm_token_hash;
    if (textOk && bindingOk) return;
    const mismatch = textOk ? "binding" : "text";
    const message =
      mismatch === "text"
        ? "The broadcast's stored text no longer matches the hash it was created (and confirmed) with; nothing was sent. Create the broadcast again."
        : "The broadcast's stored hash, recipients or expiry no longer match its confirmation binding; nothing was sent. Create the broadcast again.";
    deps.audit.append({
      actor: principal.label,
      kind: "broadcast",
      outcome: "failed",
      session: row.session,
      broadcastId: row.id,
      messageId: null,
      errorCode: "BROADCAST_TAMPERED",
      errorMessage: message,
      details: { action, mismatch, storedSha256: row.sha256, actualSha256: sha256Hex(row.message) },
    });
    deps.logger.warn({ broadcastId: row.id, action, mismatch }, "broadcast refused: stored row does not match what was confirmed");
    throw new ApiError("BROADCAST_TAMPERED", message, { mismatch });
  }

  function load(id: string): BroadcastRow {
    const row = q.get.get(id);
    if (!row) throw new ApiError("BROADCAST_NOT_FOUND", `No broadcast ${id}`);
    if (row.state === "awaiting_confirmation" && row.expires_at <= Date.now()) {
      q.expire.run(id, Date.now());
      return q.get.get(id) as BroadcastRow;
    }
    return row;
  }

  function recipientOf(r: RecipientRow): Recipient {
    return {
      handle: r.handle,
      name: r.name,
      displayName: r.display_name,
      status: r.status as DeliveryStatus,
      reply: r.reply,
      replyFullBytes: r.reply_full_bytes,
      runId: r.run_id,
      latencyMs: r.latency_ms,
      error: r.error_code ? { code: r.error_code, message: r.error_message ?? "" } : null,
      attempts: r.attempts,
      updatedAt: iso(r.updated_at),
    };
  }

  function toApi(row: BroadcastRow, principal: Principal | null): Broadcast {
    const rows = q.recipients.all(row.id);
    const recipients = rows.filter((r) => r.skip_reason === null);
    const counts: Record<string, number> = {};
    for (const r of recipients) counts[r.status] = (counts[r.status] ?? 0) + 1;
    const showToken = row.state === "awaiting_confirmation" && principal !== null && opts.canConfirm(principal);
    return BroadcastSchema.parse({
      id: row.id,
      state: row.state,
      message: row.message,
      messageBytes: row.message_bytes,
      sha256: row.sha256,
      session: row.session,
      timeoutSec: row.timeout_sec,
      recipients: recipients.map(recipientOf),
      skipped: rows
        .filter((r) => r.skip_reason !== null)
        .map((r) => ({ handle: r.handle, name: r.name, displayName: r.display_name, reason: r.skip_reason })),
      counts,
      warnings: JSON.parse(row.warnings),
      createdBy: JSON.parse(row.created_by),
      createdAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
      confirmedBy: row.confirmed_by ? JSON.parse(row.confirmed_by) : null,
      confirmedAt: isoOrNull(row.confirmed_at),
      completedAt: isoOrNull(row.completed_at),
      confirmationToken: showToken ? tokenFor(row, recipients.map((r) => r.handle)) : null,
    });
  }

  function publish(id: string): void {
    const row = q.get.get(id);
    if (row) deps.bus.publish({ type: "broadcast.updated", broadcast: toApi(row, null) });
  }

  function plan() {
    const me = deps.registry.me()?.handle ?? null;
    const recipients: { id: number; handle: string; name: string; displayName: string | null; gatewayUrl: string; tlsFingerprint: string | null }[] = [];
    const skipped: { id: number; handle: string; name: string; displayName: string | null; gatewayUrl: string | null; reason: "self" | "no_address" | "no_credentials" }[] = [];
    for (const t of deps.registry.list()) {
      const base = { id: t.id, handle: t.handle, name: t.name, displayName: t.displayName };
      if (me && t.handle === me) skipped.push({ ...base, gatewayUrl: t.gatewayUrl, reason: "self" });
      else if (!t.gatewayUrl) skipped.push({ ...base, gatewayUrl: null, reason: "no_address" });
      else if (!deps.registry.hasToken(t.id)) skipped.push({ ...base, gatewayUrl: t.gatewayUrl, reason: "no_credentials" });
      else recipients.push({ ...base, gatewayUrl: t.gatewayUrl, tlsFingerprint: t.tlsFingerprint });
    }
    return { recipients, skipped };
  }

  async function fanOut(id: string, principal: Principal, controller: AbortController, notifySkipped: boolean): Promise<void> {
    const started = Date.now();
    const row = q.get.get(id) as BroadcastRow;
    const all = q.recipients.all(id);
    const todo = all.filter((r) => r.skip_reason === null && r.status === "queued");
    // Every recipient at once unless capped: a broadcast then takes one reply time (the slowest),
    // not N / cap of them. Sends to one (gateway address, session) still queue in the connector.
    const cap = deps.config.broadcastConcurrency;
    const fallbackOn = Boolean(row.fallback) && deps.fallback.enabled;
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
      r.updated_at = Date.now();
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
      const teammate = r.teammate_id === null ? null : deps.registry.byId(r.teammate_id);
      if (!teammate) {
        Object.assign(r, { status: "error", error_code: "TEAMMATE_NOT_FOUND", error_message: "the teammate was removed" });
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
        Object.assign(r, { status: "error", error_code: unusable?.code ?? "NO_ADDRESS", error_message: unusable?.message ?? "no gateway address" });
        writeRecipient(r);
        if (fallbackOn) notify(r.handle, unusable?.reason ?? "no_address");
        return;
      }
      r.gateway_url = url;
      const target: GatewayTarget = { teammateId: teammate.id, url, tlsFingerprint: teammate.tlsFingerprint };
      // A retry of an attempt the gateway accepted (its run id is known) whose run did not fail
      // on the gateway — it timed out, the connection was lost, the server stopped — reuses that
      // attempt's idempotency key: the gateway never delivers one key twice, so the agent does
      // not get the message again (it may well have replied late); the retry waits for that
      // run's reply instead. A run that failed on the gateway (GATEWAY_ERROR) is sent afresh.
      const reuse = r.run_id !== null && r.error_code !== "GATEWAY_ERROR" ? r.run_id : null;
      r.status = "sending";
      r.attempts += 1;
      const attempt = r.attempts;
      const idempotencyKey = reuse ?? `${id}-${r.handle}-${attempt}`;
      // Until the gateway answers, the run id is the key (OpenClaw's run id is the key): a crash
      // before the answer leaves the key on record, so a retry cannot send a second copy.
      Object.assign(r, { run_id: idempotencyKey, error_code: null, error_message: null, reply: null, reply_full_bytes: null, latency_ms: null });
      const recipientAbort = new AbortController();
      inFlight.add(recipientAbort);
      const result = await deliver(
        deps,
        {
          target,
          handle: r.handle,
          session: row.session,
          message: row.message,
          timeoutSec: row.timeout_sec,
          actor: principal.label,
          broadcastId: id,
          details: reuse ? { attempt, sameRunAs: reuse } : { attempt },
          idempotencyKey,
          signal: recipientAbort.signal,
          onPending: (auditId) => {
            r.audit_id = auditId;
            writeRecipient(r);
          },
          onAccepted: (runId) => {
            r.run_id = runId;
            writeRecipient(r);
          },
        },
        "broadcast",
      );
      inFlight.delete(recipientAbort);
      Object.assign(r, {
        status: result.status,
        reply: result.reply,
        reply_full_bytes: result.replyFullBytes,
        // no answer in time, or stopped mid-send: the gateway may have the message — keep the key
        run_id: result.runId ?? (result.status === "timeout" || result.status === "interrupted" || result.error?.code === "GATEWAY_TIMEOUT" ? idempotencyKey : null),
        latency_ms: result.latencyMs,
        error_code: result.error?.code ?? null,
        error_message: result.error?.message ?? null,
        audit_id: result.auditId ?? r.audit_id,
      });
      writeRecipient(r);
      // cancelled after chat.send left: a reply the agent sends anyway is still shown on the recipient
      followLateReply(deps.inflight, result, (late) => {
        if (r.status !== "cancelled_after_send" || r.reply !== null) return;
        Object.assign(r, { reply: late.reply, reply_full_bytes: late.replyFullBytes });
        try {
          writeRecipient(r);
        } catch (err) {
          deps.logger.warn({ err, broadcastId: id, teammate: r.handle }, "could not record a late reply after cancel");
        }
      });
      if (result.status === "unreachable" && fallbackOn) notify(r.handle, "unreachable");
    }

    const sending = forEachLimited(todo, cap, async (r) => {
      try {
        await one(r);
      } catch (err) {
        deps.logger.error({ err, broadcastId: id, teammate: r.handle }, "broadcast recipient failed unexpectedly");
        Object.assign(r, { status: "error", error_code: "INTERNAL", error_message: "internal error" });
        try {
          writeRecipient(r);
        } catch {
          /* database closing */
        }
      }
    });
    if (notifySkipped && fallbackOn) {
      for (const s of all) if (s.skip_reason === "no_address" || s.skip_reason === "no_credentials") notify(s.handle, s.skip_reason);
    }
    await sending;
    await Promise.all(notifications);

    const reason = controller.signal.aborted ? (controller.signal.reason as string) : null;
    const finalStatus = reason === "interrupted" ? "interrupted" : "cancelled";
    // Every recipient ends with a definite status.
    for (const r of q.recipients.all(id)) {
      if (r.skip_reason === null && !FINAL_STATUSES.includes(r.status as DeliveryStatus)) {
        r.status = finalStatus;
        writeRecipient(r);
      }
    }
    q.finish.run(reason === "cancelled" ? "cancelled" : "completed", Date.now(), id);
    deps.metrics.observeBroadcast(todo.length, Date.now() - started);
    publish(id);
  }

  function start(id: string, principal: Principal, notifySkipped: boolean): Promise<void> {
    const { controller, done } = deps.inflight.controller();
    const promise = fanOut(id, principal, controller, notifySkipped)
      .catch((err: unknown) => {
        deps.logger.error({ err, broadcastId: id }, "broadcast fan-out failed");
        try {
          q.finish.run("completed", Date.now(), id);
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

  return {
    create(req, principal) {
      const bytes = utf8Bytes(req.message);
      checkHardLimit(bytes, deps.config.msgHardLimit);
      const warnings: Warning[] = sizeWarnings(bytes, deps.config.msgSoftLimit);
      const sha256 = sha256Hex(req.message);
      const { recipients, skipped } = plan();
      if (req.dryRun) {
        return {
          kind: "preview",
          preview: BroadcastPreviewSchema.parse({
            dryRun: true,
            message: req.message,
            messageBytes: bytes,
            sha256,
            session: req.session,
            recipients: recipients.map((r) => ({ handle: r.handle, name: r.name, displayName: r.displayName })),
            skipped: skipped.map((s) => ({ handle: s.handle, name: s.name, displayName: s.displayName, reason: s.reason })),
            warnings,
          }),
        };
      }
      if (recipients.length === 0) {
        throw new ApiError("NO_RECIPIENTS", noRecipientsMessage(skipped), {
          skipped: skipped.map((s) => ({ handle: s.handle, reason: s.reason })),
        });
      }
      const now = Date.now();
      const row: BroadcastRow = {
        id: randomUUID(),
        state: "awaiting_confirmation",
        message: req.message,
        message_bytes: bytes,
        sha256,
        session: req.session,
        timeout_sec: req.timeoutSec,
        fallback: req.fallback ? 1 : 0,
        warnings: JSON.stringify(warnings),
        confirm_token_hash: "",
        created_by: JSON.stringify(actorOf(principal)),
        created_at: now,
        expires_at: now + deps.config.confirmTtlSec * 1000,
        confirmed_by: null,
        confirmed_at: null,
        completed_at: null,
      };
      row.confirm_token_hash = hashToken(tokenFor(row, recipients.map((r) => r.handle)));
      sqlite.transaction(() => {
        q.insert.run(row);
        for (const r of recipients) {
          q.insertRecipient.run({ broadcast_id: row.id, teammate_id: r.id, handle: r.handle, name: r.name, display_name: r.displayName, gateway_url: r.gatewayUrl, skip_reason: null, status: "queued", updated_at: now });
        }
        for (const s of skipped) {
          q.insertRecipient.run({ broadcast_id: row.id, teammate_id: s.id, handle: s.handle, name: s.name, display_name: s.displayName, gateway_url: s.gatewayUrl, skip_reason: s.reason, status: "cancelled", updated_at: now });
        }
      })();
      deps.audit.append({
        actor: principal.label,
        kind: "broadcast",
        outcome: "ok",
        session: row.session,
        message: row.message,
        broadcastId: row.id,
        details: {
          action: "created",
          recipients: recipients.map((r) => r.handle),
          skipped: skipped.map((s) => ({ handle: s.handle, reason: s.reason })),
          expiresAt: iso(row.expires_at),
        },
      });
      publish(row.id);
      return { kind: "created", broadcast: toApi(row, principal) };
    },

    get: (id, principal) => toApi(load(id), principal),

    list: (principal, limit = 100) => q.list.all(limit).map((row) => {
      if (row.state === "awaiting_confirmation" && row.expires_at <= Date.now()) return toApi(load(row.id), principal);
      return toApi(row, principal);
    }),

    async confirm(id, token, wait, principal) {
      const row = load(id);
      const check = (r: BroadcastRow) => {
        if (r.state === "cancelled") throw new ApiError("BROADCAST_CANCELLED", "This broadcast was cancelled");
        if (r.state === "sending" || r.state === "completed") throw new ApiError("BROADCAST_ALREADY_CONFIRMED", "This broadcast was already confirmed");
      };
      check(row);
      const handles = q.recipients.all(id).filter((r) => r.skip_reason === null).map((r) => r.handle);
      assertIntact(row, handles, "confirm", principal);
      const expected = Buffer.from(tokenFor(row, handles));
      const given = Buffer.from(token);
      const tokenOk =
        given.length === expected.length && timingSafeEqual(given, expected) && hashToken(token) === row.confirm_token_hash;
      if (!tokenOk) throw new ApiError("CONFIRMATION_TOKEN_INVALID", "The confirmation token does not match this broadcast");
      if (row.state === "expired" || row.expires_at <= Date.now()) {
        throw new ApiError("BROADCAST_EXPIRED", "The confirmation window has passed; create the broadcast again", { expiresAt: iso(row.expires_at) });
      }
      const now = Date.now();
      const changed = q.toSending.run(JSON.stringify(actorOf(principal)), now, id, now).changes;
      if (changed !== 1) {
        const again = load(id);
        check(again);
        throw new ApiError("BROADCAST_EXPIRED", "The confirmation window has passed", { expiresAt: iso(again.expires_at) });
      }
      deps.audit.append({
        actor: principal.label,
        kind: "broadcast",
        outcome: "ok",
        session: row.session,
        broadcastId: id,
        messageId: null,
        details: { action: "confirmed", recipients: handles },
      });
      publish(id);
      const promise = start(id, principal, true);
      if (wait) await promise;
      return toApi(load(id), principal);
    },

    async cancel(id, principal) {
      const row = load(id);
      if (!isActor(JSON.parse(row.created_by) as Actor, principal) && !opts.mayCancelOthers(principal)) {
        throw new ApiError("CANCEL_FORBIDDEN", "Only whoever created this broadcast or an operator or admin may cancel it");
      }
      if (row.state === "cancelled") return toApi(row, principal);
      if (row.state === "completed") throw new ApiError("BROADCAST_ALREADY_CONFIRMED", "This broadcast has already completed");
      if (row.state === "awaiting_confirmation" || row.state === "expired") {
        const changed = q.cancelAwaiting.run(Date.now(), id).changes;
        if (changed === 1) {
          q.cancelQueued.run(Date.now(), id);
          deps.audit.append({ actor: principal.label, kind: "broadcast", outcome: "cancelled", broadcastId: id, details: { action: "cancelled", before: row.state } });
          publish(id);
          return toApi(load(id), principal);
        }
      }
      // sending: abort in-flight runs; queued recipients end cancelled
      const run = running.get(id);
      if (run) {
        run.controller.abort("cancelled");
        deps.audit.append({ actor: principal.label, kind: "broadcast", outcome: "cancelled", broadcastId: id, details: { action: "cancelled", before: "sending" } });
        await Promise.race([run.promise, new Promise((r) => setTimeout(r, 10_000))]);
      }
      return toApi(load(id), principal);
    },

    async retry(id, wait, principal) {
      const row = load(id);
      if (row.state === "awaiting_confirmation" || row.state === "expired") throw new ApiError("BROADCAST_NOT_CONFIRMED", "Confirm the broadcast first");
      if (row.state === "cancelled") throw new ApiError("BROADCAST_CANCELLED", "This broadcast was cancelled");
      if (row.state === "sending") throw new ApiError("BROADCAST_ALREADY_CONFIRMED", "This broadcast is still sending");
      const failed = q.recipients.all(id).filter((r) => r.skip_reason === null && FAILED_STATUSES.includes(r.status as DeliveryStatus));
      if (failed.length === 0) throw new ApiError("NOTHING_TO_RETRY", "No recipient of this broadcast failed");
      assertIntact(row, q.recipients.all(id).filter((r) => r.skip_reason === null).map((r) => r.handle), "retry", principal);
      const ok = sqlite.transaction(() => {
        if (q.retryToSending.run(id).changes !== 1) return false;
        for (const r of failed) {
          r.status = "queued";
          r.updated_at = Date.now();
          q.setRecipient.run(r);
        }
        return true;
      })();
      if (!ok) throw new ApiError("BROADCAST_ALREADY_CONFIRMED", "This broadcast is already being sent");
      deps.audit.append({ actor: principal.label, kind: "broadcast", outcome: "ok", broadcastId: id, details: { action: "retry", recipients: failed.map((r) => r.handle) } });
      publish(id);
      const promise = start(id, principal, false);
      if (wait) await promise;
      return toApi(load(id), principal);
    },

    interruptUnfinished() {
      const rows = sqlite.prepare<[], { id: string }>("select id from broadcasts where state = 'sending'").all();
      for (const { id } of rows) {
        if (running.has(id)) continue;
        sqlite
          .prepare("update broadcast_recipients set status = 'interrupted', updated_at = ? where broadcast_id = ? and skip_reason is null and status in ('queued', 'sending')")
          .run(Date.now(), id);
        q.finish.run("completed", Date.now(), id);
      }
      return rows.length;
    },
  };
}
