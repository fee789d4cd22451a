// POST /messages: resolve the teammate, check size, dry run or send 1-10 rounds (each reply
// becomes the next round's message, as the old skill did), persist every step in `messages`
// and publish message.updated / message.delta.
import { gatewayTargetOf } from "../teammates/gateway-target.ts";
import { randomUUID } from "node:crypto";
import { utf8Bytes } from "../../shared/limits.ts";
import type { Warning } from "../../shared/api/common.ts";
import {
  FINAL_STATUSES,
  type DeliveryStatus,
  type Exchange,
  type Message,
  type SendPreview,
  type SendRequest as SendRequestInput,
} from "../../shared/api/messages.ts";
import type { z } from "zod";
import type { SendRequest as SendRequestSchema } from "../../shared/api/messages.ts";
import type { Principal } from "../auth/types.ts";
import type { GatewayTarget } from "../gateway/types.ts";
import { ApiError } from "../errors.ts";
import type { TeammateRecord } from "../teammates/types.ts";
import { actorOf, isActor } from "./actor.ts";
import { deliver, followLateReply, type LateReply } from "./deliver.ts";
import type { MessagingDeps } from "./deps.ts";
import type { FallbackResult } from "./fallback.ts";
import { messageOf, overallStatus, refOf, type MessageRow } from "./message-row.ts";
import { checkHardLimit, sizeWarnings } from "./message-size.ts";
import { sha256Hex } from "./sha256.ts";

import type { Db } from "../db/connection.ts";
import { desc, eq, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { messages } from "../db/schema.ts";
import { writeBatchOf } from "../db/write-batch.ts";

export type { MessagingDeps } from "./deps.ts";

/** allowSecrets may be left out by in-process callers (MCP, A2A, tests): false. */
export type SendRequest = Omit<z.output<typeof SendRequestSchema>, "allowSecrets"> & { allowSecrets?: boolean };
export type { SendRequestInput };

export type SendOutcome =
  | { kind: "preview"; preview: SendPreview }
  | { kind: "message"; message: Message }
  | { kind: "accepted"; accepted: { id: string; status: DeliveryStatus; href: string } };

interface ActiveRun {
  /** Aborted by cancel; deliver() then aborts the run on the gateway by its key if it was sent. */
  controller: AbortController;
}

export interface MessageService {
  send(req: SendRequest, principal: Principal): Promise<SendOutcome>;
  get(id: string): Message;
  list(limit: number): Message[];
  cancel(id: string, principal: Principal): Promise<Message>;
  lateReply(id: string, principal: Principal): Promise<Message>;
  /** Start-up / shutdown: messages left queued or sending become interrupted. Returns how many. */
  interruptUnfinished(): number;
}

export interface MessageServiceOptions {
  /** May this caller cancel a message someone else sent? (Their own they always may.) */
  mayCancelOthers(principal: Principal): boolean;
}

export function createMessageService(deps: MessagingDeps, opts: MessageServiceOptions): MessageService {
  const db = deps.db;
  const writes = writeBatchOf(db.$client); // a row write joins the turn's transaction (db/write-batch.ts)
  // Built once: every send inserts one row and updates it a few times.
  const $ = sql.placeholder;
  const insertRow = db
    .insert(messages)
    .values({
      id: $("id"),
      teammateId: $("teammateId"),
      handle: $("handle"),
      gatewayUrl: $("gatewayUrl"),
      session: $("session"),
      rounds: $("rounds"),
      timeoutSec: $("timeoutSec"),
      status: $("status"),
      exchanges: $("exchanges"), // JSON columns: the column encodes the bound value
      warnings: $("warnings"),
      fallback: null,
      actor: $("actor"),
      createdAt: $("createdAt"),
      completedAt: null,
    })
    .prepare();
  // set$ binds as given: exchanges and fallback are passed as JSON text
  const updateRow = db
    .update(messages)
    .set({ status: set$("status"), exchanges: set$("exchanges"), fallback: set$("fallback"), completedAt: set$("completedAt") })
    .where(eq(messages.id, $("id")))
    .prepare();
  const selectRow = db.select().from(messages).where(eq(messages.id, $("id"))).prepare();
  const listRows = db.select().from(messages).orderBy(desc(messages.createdAt), desc(sql`rowid`)).limit($("limit")).prepare();
  const active = new Map<string, ActiveRun>();

  const toApi = (row: MessageRow): Message => messageOf(row, deps.registry);

  function load(id: string): MessageRow {
    const row = selectRow.get({ id });
    if (!row) throw new ApiError("MESSAGE_NOT_FOUND", `No message ${id}`);
    return row;
  }

  /** Writes the row's status, exchanges, fallback and completion time. */
  function write(row: MessageRow): string {
    const exchanges = JSON.stringify(row.exchanges);
    updateRow.run({ id: row.id, status: row.status, exchanges, fallback: row.fallback === null ? null : JSON.stringify(row.fallback), completedAt: row.completedAt });
    return exchanges;
  }

  function save(row: MessageRow): Message {
    writes.join();
    const exchanges = write(row);
    // A snapshot of the exchanges: the round loop goes on changing them, and the event goes out
    // when the batch commits.
    const message = toApi({ ...row, exchanges: JSON.parse(exchanges) as Exchange[] });
    deps.bus.publish({ type: "message.updated", message });
    return message;
  }

  /** A reply that came after the round was cancelled (the agent answered anyway): shown on its round. */
  function recordLateReply(id: string, round: number, late: LateReply): void {
    try {
      const fresh = load(id);
      const e = fresh.exchanges.find((x) => x.round === round);
      if (!e || e.status !== "cancelled_after_send" || e.reply !== null) return;
      e.reply = late.reply;
      e.replyFullBytes = late.replyFullBytes;
      save(fresh);
    } catch (err) {
      deps.logger.warn({ err, messageId: id }, "could not record a late reply after cancel");
    }
  }

  async function runRounds(row: MessageRow, firstMessage: string, teammate: TeammateRecord, principal: Principal, fallbackAllowed: boolean) {
    const target: GatewayTarget = gatewayTargetOf(teammate);
    const { controller, done } = deps.inflight.controller();
    const run: ActiveRun = { controller };
    active.set(row.id, run);
    // the row's own array from here on (the message published at insert keeps the empty one)
    const exchanges: Exchange[] = [...row.exchanges];
    row.exchanges = exchanges;
    try {
      let text = firstMessage;
      for (let round = 1; round <= row.rounds; round++) {
        const bytes = utf8Bytes(text);
        const exchange: Exchange = {
          round,
          message: text,
          messageBytes: bytes,
          status: "sending",
          reply: null,
          replyFullBytes: null,
          runId: null,
          latencyMs: null,
          error: null,
          auditId: null,
        };
        exchanges.push(exchange);
        if (bytes > deps.config.msgHardLimit) {
          // Only possible from round 2 on: a reply too large to pass on.
          exchange.status = "error";
          exchange.error = { code: "MESSAGE_TOO_LARGE", message: `round ${round}: ${bytes} bytes is above the ${deps.config.msgHardLimit}-byte limit` };
          break;
        }
        row.status = "sending";
        const result = await deliver(
          deps,
          {
            target,
            handle: teammate.handle,
            session: row.session,
            message: text,
            timeoutSec: row.timeoutSec,
            actor: principal.label,
            messageId: row.id,
            details: { round, rounds: row.rounds },
            idempotencyKey: `${row.id}-${round}`,
            signal: controller.signal,
            onPending: (auditId) => {
              exchange.auditId = auditId;
              save(row);
            },
            onAccepted: (runId) => {
              exchange.runId = runId;
              save(row);
            },
            onDelta: (delta) => deps.bus.publish({ type: "message.delta", id: row.id, round, text: delta }),
          },
          "message",
        );
        followLateReply(deps.inflight, result, (late) => recordLateReply(row.id, round, late));
        Object.assign(exchange, {
          status: result.status,
          reply: result.reply,
          replyFullBytes: result.replyFullBytes,
          runId: result.runId,
          latencyMs: result.latencyMs,
          error: result.error,
          auditId: result.auditId ?? exchange.auditId,
        });
        if (round < row.rounds) save(row);
        if (result.status !== "replied" || !result.reply) break;
        text = result.reply;
      }
      const status = overallStatus(exchanges);
      row.status = status;
      if (status === "unreachable" && fallbackAllowed && deps.fallback.enabled) {
        const fb = await deps.fallback.notify({
          handle: teammate.handle,
          message: firstMessage,
          reason: "unreachable",
          actor: principal.label,
          messageId: row.id,
        });
        row.fallback = fb;
      }
      row.completedAt = Date.now();
      return save(row);
    } catch (err) {
      deps.logger.error({ err, messageId: row.id }, "send failed unexpectedly");
      for (const e of exchanges) if (e.status === "sending" || e.status === "queued") e.status = "error";
      row.status = "error";
      row.completedAt = Date.now();
      try {
        return save(row);
      } catch {
        return toApi(row);
      }
    } finally {
      active.delete(row.id);
      done();
    }
  }

  return {
    async send(req, principal) {
      const teammate = deps.registry.resolve(req.to);
      const bytes = utf8Bytes(req.message);
      checkHardLimit(bytes, deps.config.msgHardLimit);
      const secretWarnings = await deps.guard.secrets.check(req.message, {
        principal,
        allowSecrets: req.allowSecrets ?? false,
        dryRun: req.dryRun,
        action: "send",
        teammate: teammate.handle,
        session: req.session,
      });
      const warnings = [...sizeWarnings(bytes, deps.config.msgSoftLimit), ...secretWarnings];
      const hasToken = deps.registry.hasToken(teammate.id);
      const blockers: Warning[] = [];
      if (!teammate.gatewayUrl) blockers.push({ code: "NO_ADDRESS", message: `${teammate.handle} has no gateway address` });
      if (!hasToken) blockers.push({ code: "NO_CREDENTIALS", message: `No gateway token is set for ${teammate.handle}` });

      if (req.dryRun) {
        return {
          kind: "preview",
          preview: {
            dryRun: true,
            to: refOf(teammate),
            gatewayUrl: teammate.gatewayUrl,
            session: req.session,
            rounds: req.rounds,
            timeoutSec: req.timeoutSec,
            message: req.message,
            messageBytes: bytes,
            sha256: sha256Hex(req.message),
            credentialSet: hasToken,
            warnings,
            blockers,
          },
        };
      }

      const blocker = blockers[0];
      if (blocker) {
        let fallback: FallbackResult | null = null;
        if (req.fallback && deps.fallback.enabled) {
          fallback = await deps.fallback.notify({
            handle: teammate.handle,
            message: req.message,
            reason: blocker.code === "NO_ADDRESS" ? "no_address" : "no_credentials",
            actor: principal.label,
          });
        }
        throw new ApiError(blocker.code as "NO_ADDRESS" | "NO_CREDENTIALS", blocker.message, { handle: teammate.handle, fallback });
      }
      // every round is one message to the teammate
      deps.guard.rate.charge({ sender: principal.label, recipients: Array<string>(req.rounds).fill(teammate.handle), count: req.rounds });

      const now = Date.now();
      const row: MessageRow = {
        id: randomUUID(),
        teammateId: teammate.id,
        handle: teammate.handle,
        gatewayUrl: teammate.gatewayUrl,
        session: req.session,
        rounds: req.rounds,
        timeoutSec: req.timeoutSec,
        status: "queued",
        exchanges: [],
        warnings,
        fallback: null,
        actor: actorOf(principal),
        createdAt: now,
        completedAt: null,
      };
      writes.join();
      insertRow.run(row);
      deps.bus.publish({ type: "message.updated", message: toApi(row) });
      const work = runRounds(row, req.message, teammate, principal, req.fallback);
      deps.inflight.track(work);
      if (!req.wait) {
        return { kind: "accepted", accepted: { id: row.id, status: "queued", href: `/api/v1/messages/${row.id}` } };
      }
      return { kind: "message", message: await work };
    },

    get: (id) => toApi(load(id)),

    list: (limit) => listRows.all({ limit }).map(toApi),

    async cancel(id, principal) {
      const row = load(id);
      const sender = row.actor;
      if (!isActor(sender, principal) && !opts.mayCancelOthers(principal)) {
        throw new ApiError("CANCEL_FORBIDDEN", `Only its sender (${sender.kind === "api_key" ? "key" : "user"} ${sender.name}) or an operator or admin may cancel this message`);
      }
      const run = active.get(id);
      if (!run) return toApi(row); // already finished: nothing to abort
      deps.audit.append({ actor: principal.label, kind: "send", outcome: "cancelled", teammate: row.handle, session: row.session, messageId: id, details: { action: "cancelled", sender: sender.name } });
      // deliver() sees the abort: a round whose chat.send was written is aborted on the gateway by
      // its run id (the idempotency key) and ends `cancelled_after_send`; one not yet sent ends
      // `cancelled`. Wait briefly for the round loop to record that.
      run.controller.abort("cancelled");
      const deadline = Date.now() + 5_000;
      while (active.has(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return toApi(load(id));
    },

    async lateReply(id, principal) {
      const row = load(id);
      if (active.has(id)) return toApi(row);
      const exchanges = row.exchanges;
      const pending = exchanges.filter((e) => (e.status === "timeout" || (e.status === "cancelled_after_send" && e.reply === null)) && e.runId);
      if (pending.length === 0 || row.teammateId === null) return toApi(row);
      const teammate = deps.registry.byHandle(row.handle);
      const url = teammate?.gatewayUrl ?? row.gatewayUrl;
      if (!teammate || !url) return toApi(row);
      const target: GatewayTarget = gatewayTargetOf(teammate, url);
      let changed = false;
      for (const e of pending) {
        const result = await deps.connector
          .fetchLateReply(target, { sessionKey: row.session, runId: e.runId as string, timeoutMs: 10_000 })
          .catch((err: unknown) => ({
            outcome: "error" as const,
            latencyMs: 0,
            error: { code: "GATEWAY_ERROR" as const, message: err instanceof Error ? err.message : String(err) },
          }));
        const found = result.outcome === "replied" && typeof result.reply === "string";
        deps.audit.append({
          actor: principal.label,
          kind: "late_reply",
          outcome: found ? "replied" : result.outcome === "error" ? "error" : "timeout",
          teammate: row.handle,
          gatewayUrl: url,
          session: row.session,
          messageId: row.id,
          runId: e.runId,
          reply: found ? (result.reply ?? null) : null,
          errorCode: result.error?.code ?? null,
          errorMessage: result.error?.message ?? null,
          latencyMs: result.latencyMs,
          details: { round: e.round, originalAuditId: e.auditId },
        });
        if (found) {
          // a cancelled round stays cancelled_after_send (it was cancelled), with the reply shown
          if (e.status === "timeout") {
            e.status = "replied";
            e.late = true;
          }
          e.reply = result.reply ?? "";
          e.replyFullBytes = result.replyFullBytes ?? null;
          e.error = null;
          changed = true;
        }
      }
      if (!changed) return toApi(row);
      row.status = overallStatus(exchanges);
      return save(row);
    },

    interruptUnfinished() {
      const rows = unfinishedMessages(db).all();
      for (const row of rows) {
        for (const e of row.exchanges) if (!FINAL_STATUSES.includes(e.status)) e.status = "interrupted";
        row.status = "interrupted";
        row.completedAt = Date.now();
        write(row);
      }
      return rows.length;
    },
  };
}

/**
 * Start-up: the sends the last run left unfinished. The condition is the partial index
 * messages_unfinished's own, as literals: SQLite uses a partial index only for a query whose
 * condition implies the index's, which a bound `in (?, ?)` does not (a table scan).
 */
export function unfinishedMessages(db: Db) {
  return db.select().from(messages).where(sql`${messages.status} in ('queued', 'sending')`);
}
