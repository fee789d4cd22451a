// Broadcasts, always in two steps: create (recipients frozen, awaiting confirmation, a
// confirmation token that binds id, message hash, recipients and expiry) then confirm (atomic
// awaiting → sending, then the fan-out). This file is the state machine (awaiting_confirmation →
// sending → completed, expired, cancelled; retry completed → sending) and the API view; the parts:
// broadcast-recipients.ts (who), broadcast-token.ts (token, tamper check), broadcast-fanout.ts
// (sending), broadcast-rows.ts (tables). Cancel and retry as documented in server/messaging/README.md.
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { utf8Bytes } from "../../shared/limits.ts";
import type { Warning } from "../../shared/api/common.ts";
import {
  Broadcast as BroadcastSchema,
  BroadcastPreview as BroadcastPreviewSchema,
  type BroadcastCreate as BroadcastCreateSchema,
} from "../../shared/api/broadcasts.ts";
import { FAILED_STATUSES } from "../../shared/api/messages.ts";
import type { Principal } from "../auth/types.ts";
import { ApiError } from "../errors.ts";
import { actorOf, isActor } from "./actor.ts";
import { createFanOut } from "./broadcast-fanout.ts";
import { noRecipientsMessage, planRecipients } from "./broadcast-recipients.ts";
import { prepareBroadcastQueries, recipientOf, sendingBroadcasts, type BroadcastRow } from "./broadcast-rows.ts";
import { createConfirmationTokens } from "./broadcast-token.ts";
import type { MessagingDeps } from "./deps.ts";
import { checkHardLimit, sizeWarnings } from "./message-size.ts";
import { iso, isoOrNull } from "./outcome.ts";
import { sha256Hex } from "./sha256.ts";

export { noRecipientsMessage } from "./broadcast-recipients.ts";

/** `group` and `tags` together: the union, distinct and sorted; neither: null (everyone). */
function groupOf(req: { group?: string | undefined; tags?: string[] | undefined }): string[] | null {
  const all = [...(req.group ? [req.group] : []), ...(req.tags ?? [])];
  return all.length ? [...new Set(all)].sort() : null;
}

export type BroadcastCreate = Omit<z.output<typeof BroadcastCreateSchema>, "allowSecrets"> & { allowSecrets?: boolean };
export type Broadcast = z.infer<typeof BroadcastSchema>;
export type BroadcastPreview = z.infer<typeof BroadcastPreviewSchema>;

export interface BroadcastService {
  create(req: BroadcastCreate, principal: Principal): Promise<{ kind: "preview"; preview: BroadcastPreview } | { kind: "created"; broadcast: Broadcast }>;
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

export function createBroadcastService(deps: MessagingDeps, opts: BroadcastOptions): BroadcastService {
  const db = deps.db;
  const q = prepareBroadcastQueries(db);
  const tokens = createConfirmationTokens(deps);
  const { tokenFor, hashToken, assertIntact } = tokens;

  function load(id: string): BroadcastRow {
    const row = q.get.get({ id });
    if (!row) throw new ApiError("BROADCAST_NOT_FOUND", `No broadcast ${id}`);
    if (row.state === "awaiting_confirmation" && row.expiresAt <= Date.now()) {
      q.expire.run({ id, now: Date.now() });
      return q.get.get({ id }) as BroadcastRow;
    }
    return row;
  }

  function toApi(row: BroadcastRow, principal: Principal | null): Broadcast {
    const rows = q.recipients.all({ id: row.id });
    const recipients = rows.filter((r) => r.skipReason === null);
    const counts: Record<string, number> = {};
    for (const r of recipients) counts[r.status] = (counts[r.status] ?? 0) + 1;
    const showToken = row.state === "awaiting_confirmation" && principal !== null && opts.canConfirm(principal);
    return BroadcastSchema.parse({
      id: row.id,
      state: row.state,
      message: row.message,
      messageBytes: row.messageBytes,
      sha256: row.sha256,
      session: row.session,
      timeoutSec: row.timeoutSec,
      recipients: recipients.map(recipientOf),
      skipped: rows
        .filter((r) => r.skipReason !== null)
        .map((r) => ({ handle: r.handle, name: r.name, displayName: r.displayName, reason: r.skipReason })),
      counts,
      warnings: row.warnings,
      group: row.groupTags ?? null,
      createdBy: row.createdBy,
      createdAt: iso(row.createdAt),
      expiresAt: iso(row.expiresAt),
      confirmedBy: row.confirmedBy ?? null,
      confirmedAt: isoOrNull(row.confirmedAt),
      completedAt: isoOrNull(row.completedAt),
      fallback: row.fallback,
      confirmationToken: showToken ? tokenFor(row, recipients.map((r) => r.handle)) : null,
    });
  }

  function publish(id: string): void {
    const row = q.get.get({ id });
    if (row) deps.bus.publish({ type: "broadcast.updated", broadcast: toApi(row, null) });
  }

  const { running, start } = createFanOut(deps, q, publish);

  return {
    async create(req, principal) {
      const bytes = utf8Bytes(req.message);
      checkHardLimit(bytes, deps.config.msgHardLimit);
      const secretWarnings = await deps.guard.secrets.check(req.message, { principal, allowSecrets: req.allowSecrets ?? false, dryRun: req.dryRun, action: "broadcast", session: req.session });
      const warnings: Warning[] = [...sizeWarnings(bytes, deps.config.msgSoftLimit), ...secretWarnings];
      const sha256 = sha256Hex(req.message);
      const group = groupOf(req);
      const { recipients, skipped } = planRecipients(deps.registry, group);
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
            group,
          }),
        };
      }
      if (recipients.length === 0) {
        throw new ApiError("NO_RECIPIENTS", noRecipientsMessage(skipped, group), {
          ...(group ? { group } : {}),
          skipped: skipped.map((s) => ({ handle: s.handle, reason: s.reason })),
        });
      }
      const now = Date.now();
      const row: BroadcastRow = {
        id: randomUUID(),
        state: "awaiting_confirmation",
        message: req.message,
        messageBytes: bytes,
        sha256,
        session: req.session,
        timeoutSec: req.timeoutSec,
        fallback: req.fallback,
        warnings,
        confirmTokenHash: "",
        createdBy: actorOf(principal),
        createdAt: now,
        expiresAt: now + deps.config.confirmTtlSec * 1000,
        confirmedBy: null,
        confirmedAt: null,
        completedAt: null,
        groupTags: group,
      };
      row.confirmTokenHash = hashToken(tokenFor(row, recipients.map((r) => r.handle)));
      // the driver's transaction: drizzle's is built anew per call
      db.$client.transaction(() => {
        q.insert.run(row);
        for (const r of recipients) {
          q.insertRecipient.run({ broadcastId: row.id, teammateId: r.id, handle: r.handle, name: r.name, displayName: r.displayName, gatewayUrl: r.gatewayUrl, skipReason: null, status: "queued", updatedAt: now });
        }
        for (const s of skipped) {
          q.insertRecipient.run({ broadcastId: row.id, teammateId: s.id, handle: s.handle, name: s.name, displayName: s.displayName, gatewayUrl: s.gatewayUrl, skipReason: s.reason, status: "cancelled", updatedAt: now });
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
          ...(group ? { group } : {}),
          recipients: recipients.map((r) => r.handle),
          skipped: skipped.map((s) => ({ handle: s.handle, reason: s.reason })),
          expiresAt: iso(row.expiresAt),
        },
      });
      publish(row.id);
      return { kind: "created", broadcast: toApi(row, principal) };
    },

    get: (id, principal) => toApi(load(id), principal),

    list: (principal, limit = 100) => q.list.all({ limit }).map((row) => {
      if (row.state === "awaiting_confirmation" && row.expiresAt <= Date.now()) return toApi(load(row.id), principal);
      return toApi(row, principal);
    }),

    async confirm(id, token, wait, principal) {
      const row = load(id);
      const check = (r: BroadcastRow) => {
        if (r.state === "cancelled") throw new ApiError("BROADCAST_CANCELLED", "This broadcast was cancelled");
        if (r.state === "sending" || r.state === "completed") throw new ApiError("BROADCAST_ALREADY_CONFIRMED", "This broadcast was already confirmed");
      };
      check(row);
      const handles = q.recipients.all({ id }).filter((r) => r.skipReason === null).map((r) => r.handle);
      assertIntact(row, handles, "confirm", principal);
      if (!tokens.matches(row, handles, token)) throw new ApiError("CONFIRMATION_TOKEN_INVALID", "The confirmation token does not match this broadcast");
      if (row.state === "expired" || row.expiresAt <= Date.now()) {
        throw new ApiError("BROADCAST_EXPIRED", "The confirmation window has passed; create the broadcast again", { expiresAt: iso(row.expiresAt) });
      }
      // counted when it is released: the sender once, each recipient once
      deps.guard.rate.charge({ sender: principal.label, recipients: handles, count: 1 });
      const now = Date.now();
      const changed = q.toSending.run({ confirmedBy: JSON.stringify(actorOf(principal)), confirmedAt: now, id, now }).changes;
      if (changed !== 1) {
        const again = load(id);
        check(again);
        throw new ApiError("BROADCAST_EXPIRED", "The confirmation window has passed", { expiresAt: iso(again.expiresAt) });
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
      if (!isActor(row.createdBy, principal) && !opts.mayCancelOthers(principal)) {
        throw new ApiError("CANCEL_FORBIDDEN", "Only whoever created this broadcast or an operator or admin may cancel it");
      }
      if (row.state === "cancelled") return toApi(row, principal);
      if (row.state === "completed") throw new ApiError("BROADCAST_ALREADY_CONFIRMED", "This broadcast has already completed");
      if (row.state === "awaiting_confirmation" || row.state === "expired") {
        const changed = q.cancelAwaiting.run({ completedAt: Date.now(), id }).changes;
        if (changed === 1) {
          q.cancelQueued.run({ updatedAt: Date.now(), id });
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
      const failed = q.recipients.all({ id }).filter((r) => r.skipReason === null && FAILED_STATUSES.includes(r.status));
      if (failed.length === 0) throw new ApiError("NOTHING_TO_RETRY", "No recipient of this broadcast failed");
      assertIntact(row, q.recipients.all({ id }).filter((r) => r.skipReason === null).map((r) => r.handle), "retry", principal);
      deps.guard.rate.charge({ sender: principal.label, recipients: failed.map((r) => r.handle), count: 1 });
      const ok = db.$client.transaction(() => {
        if (q.retryToSending.run({ id }).changes !== 1) return false;
        for (const r of failed) {
          r.status = "queued";
          r.updatedAt = Date.now();
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
      const rows = sendingBroadcasts(db).all();
      for (const { id } of rows) {
        if (running.has(id)) continue;
        q.interruptRecipients.run({ updatedAt: Date.now(), id });
        q.finish.run({ state: "completed", completedAt: Date.now(), id });
      }
      return rows.length;
    },
  };
}
