// Scheduled broadcasts. A run is claimed by inserting its (schedule_id, fire_time) row and moving
// next_run_at on, in one transaction: the primary key makes a second claim of the same run — by
// another server on the same file, or after a restart — a no-op, so a run never fires twice. (A
// crash between the claim and the broadcast leaves the run recorded as failed-to-start, not
// repeated.) Each run creates an ordinary broadcast awaiting confirmation; only while an admin's
// pre-approval matches the text's SHA-256 and the recipients resolved now is it confirmed at once,
// and a mismatch lapses the approval (audited).
import { Schedule as ScheduleSchema, type Schedule } from "../../shared/api/schedules.ts";
import type { ScheduleCreate as ScheduleCreateSchema, ScheduleUpdate as ScheduleUpdateSchema } from "../../shared/api/schedules.ts";
import type { z } from "zod";
import type { AuditLog } from "../audit/types.ts";
import type { Principal } from "../auth/types.ts";
import type { Db } from "../db/connection.ts";
import { and, asc, desc, eq, lte } from "../db/drizzle.ts";
import { broadcastSchedules, scheduleRuns } from "../db/schema.ts";
import { ApiError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { BroadcastService } from "../messaging/broadcast.ts";
import { planRecipients } from "../messaging/broadcast-recipients.ts";
import { actorOf } from "../messaging/actor.ts";
import { sha256Hex } from "../messaging/sha256.ts";
import type { Registry } from "../teammates/types.ts";
import { nextRuns } from "./cron.ts";

type Row = typeof broadcastSchedules.$inferSelect;
type Input = z.output<typeof ScheduleCreateSchema>;
type Patch = z.output<typeof ScheduleUpdateSchema>;

export interface SchedulesDeps {
  db: Db;
  registry: Pick<Registry, "list" | "me" | "hasToken">;
  broadcasts: Pick<BroadcastService, "create" | "confirm">;
  audit: Pick<AuditLog, "append">;
  logger?: Pick<Logger, "warn" | "info">;
  now?: () => number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function createSchedules(deps: SchedulesDeps) {
  const { db, audit } = deps;
  const now = deps.now ?? Date.now;
  const nextAfter = (r: Pick<Row, "cron" | "timezone" | "runAt">, after: number): number | null =>
    r.cron ? (nextRuns(r.cron, r.timezone, 1, after)[0] ?? null) : r.runAt !== null && r.runAt > after ? r.runAt : null;
  const resolved = (tags: string[] | null) => planRecipients(deps.registry as Parameters<typeof planRecipients>[0], tags).recipients.map((r) => r.handle).sort();

  const row = (id: number): Row => {
    const r = db.select().from(broadcastSchedules).where(eq(broadcastSchedules.id, id)).get();
    if (!r) throw new ApiError("SCHEDULE_NOT_FOUND", `No schedule ${id}`, { id });
    return r;
  };
  const toApi = (r: Row): Schedule => {
    const runs = db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, r.id)).orderBy(desc(scheduleRuns.fireTime)).limit(20).all();
    const upcoming = !r.enabled ? [] : r.cron ? nextRuns(r.cron, r.timezone, 5, now()) : r.nextRunAt !== null ? [r.nextRunAt] : [];
    return ScheduleSchema.parse({
      id: r.id,
      name: r.name,
      message: r.message,
      sha256: sha256Hex(r.message),
      session: r.session,
      timeoutSec: r.timeoutSec,
      tags: r.groupTags ?? null,
      cron: r.cron,
      runAt: iso(r.runAt),
      timezone: r.timezone,
      enabled: r.enabled,
      nextRunAt: iso(r.nextRunAt),
      nextRuns: upcoming.map((t) => new Date(t).toISOString()),
      approval:
        r.approvedSha256 && r.approvedRecipients && r.approvedBy && r.approvedAt !== null
          ? { sha256: r.approvedSha256, recipients: r.approvedRecipients, by: r.approvedBy, at: iso(r.approvedAt) }
          : null,
      runs: runs.map((x) => ({ fireTime: iso(x.fireTime), broadcastId: x.broadcastId, outcome: x.outcome, error: x.error })),
      createdBy: r.createdBy,
      createdAt: iso(r.createdAt),
    });
  };
  const lapse = (r: Row, reason: string, actor = `schedule:${r.id}`) => {
    db.update(broadcastSchedules).set({ approvedSha256: null, approvedRecipients: null, approvedBy: null, approvedAt: null, updatedAt: now() }).where(eq(broadcastSchedules.id, r.id)).run();
    audit.append({ actor, kind: "broadcast", outcome: "ok", teammate: null, gatewayUrl: null, details: { action: "schedule.approval_lapsed", scheduleId: r.id, reason } });
  };

  /** Claims the run due at r.nextRunAt; false when another claim (another server, an earlier pass) has it. */
  function claim(r: Row, t: number): boolean {
    return db.$client
      .transaction(() => {
        const fire = r.nextRunAt as number;
        const inserted = db.insert(scheduleRuns).values({ scheduleId: r.id, fireTime: fire, claimedAt: t, outcome: "failed", error: "claimed; the broadcast was not created (crash?)" }).onConflictDoNothing().run();
        // moves on either way: a run already claimed elsewhere must not be looked at again
        db.update(broadcastSchedules).set({ nextRunAt: nextAfter(r, Math.max(fire, t)), updatedAt: t }).where(and(eq(broadcastSchedules.id, r.id), eq(broadcastSchedules.nextRunAt, fire))).run();
        return inserted.changes === 1;
      })
      .immediate();
  }

  async function fire(r: Row, fireTime: number): Promise<void> {
    const setRun = (fields: Partial<typeof scheduleRuns.$inferInsert>) =>
      db.update(scheduleRuns).set(fields).where(and(eq(scheduleRuns.scheduleId, r.id), eq(scheduleRuns.fireTime, fireTime))).run();
    const approved = r.approvedSha256 !== null && r.approvedBy !== null;
    // The creator's role for an ordinary run; the approving admin's for a pre-approved one.
    const by = approved && r.approvedBy ? r.approvedBy : r.createdBy;
    // a schedule's creator had broadcast:create; an actor without a role (system) runs as requester: it may create, never confirm
    const principal: Principal = { kind: by.kind === "api_key" ? "api_key" : "user", id: `schedule:${r.id}`, name: by.name, role: by.role ?? "requester", label: `schedule:${r.id}` };
    try {
      const out = await deps.broadcasts.create({ message: r.message, session: r.session, timeoutSec: r.timeoutSec, dryRun: false, fallback: true, ...(r.groupTags ? { tags: r.groupTags } : {}) }, principal);
      if (out.kind !== "created") throw new Error("a dry run came back");
      const b = out.broadcast;
      const handles = b.recipients.map((x) => x.handle).sort();
      const matches = approved && r.approvedSha256 === b.sha256 && JSON.stringify(r.approvedRecipients) === JSON.stringify(handles);
      if (approved && !matches) lapse(r, r.approvedSha256 !== b.sha256 ? "the text changed" : "the recipients changed");
      if (matches && b.confirmationToken) {
        await deps.broadcasts.confirm(b.id, b.confirmationToken, false, principal);
        setRun({ broadcastId: b.id, outcome: "auto_confirmed", error: null });
      } else setRun({ broadcastId: b.id, outcome: "awaiting_confirmation", error: null });
      audit.append({ actor: principal.label, kind: "broadcast", outcome: "ok", broadcastId: b.id, teammate: null, gatewayUrl: null, details: { action: "schedule.fired", scheduleId: r.id, fireTime: iso(fireTime), autoConfirmed: Boolean(matches) } });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      setRun({ outcome: "failed", error: message.slice(0, 500) });
      deps.logger?.warn({ err, scheduleId: r.id }, "scheduled broadcast failed");
    }
  }

  return {
    list: (): Schedule[] => db.select().from(broadcastSchedules).orderBy(asc(broadcastSchedules.id)).all().map(toApi),
    get: (id: number): Schedule => toApi(row(id)),
    create(input: Input, p: Principal): Schedule {
      const t = now();
      const runAt = input.runAt ? Date.parse(input.runAt) : null;
      if (runAt !== null && runAt <= t) throw new ApiError("VALIDATION_FAILED", "runAt is in the past", { issues: [{ path: "runAt", message: "runAt is in the past", code: "custom" }] });
      const base = { cron: input.cron ?? null, runAt, timezone: input.timezone };
      const first = nextAfter(base, t); // also validates the cron expression and the zone
      const id = Number(
        db
          .insert(broadcastSchedules)
          .values({ name: input.name, message: input.message, session: input.session, timeoutSec: input.timeoutSec, groupTags: input.tags ?? null, ...base, enabled: true, nextRunAt: first, createdBy: actorOf(p), createdAt: t, updatedAt: t })
          .run().lastInsertRowid,
      );
      audit.append({ actor: p.label, kind: "broadcast", outcome: "ok", teammate: null, gatewayUrl: null, message: input.message, details: { action: "schedule.created", scheduleId: id, cron: base.cron, runAt: iso(runAt), tags: input.tags ?? null } });
      return toApi(row(id));
    },
    /**
     * Changes the fields given. The next run is recomputed only when the timing or enabled changes
     * (a due run not yet claimed is kept otherwise). A changed text or group lapses a pre-approval
     * (audited like a lapse at run time); timing, name and pausing keep it.
     */
    update(id: number, patch: Patch, p: Principal): Schedule {
      const t = now();
      // one write transaction: a claim by the scheduler cannot fall between the read and the write
      const { cur, message, when, enabled, textChanged, groupChanged } = db.$client
        .transaction(() => {
          const cur = row(id);
          const runAt = patch.runAt !== undefined ? Date.parse(patch.runAt) : patch.cron !== undefined ? null : cur.runAt;
          const when = { cron: patch.cron ?? (patch.runAt !== undefined ? null : cur.cron), runAt, timezone: patch.timezone ?? cur.timezone };
          const enabled = patch.enabled ?? cur.enabled;
          const timingChanged = when.cron !== cur.cron || when.runAt !== cur.runAt || when.timezone !== cur.timezone || enabled !== cur.enabled;
          if (patch.runAt !== undefined && runAt !== null && runAt <= t) {
            throw new ApiError("VALIDATION_FAILED", "runAt is in the past", { issues: [{ path: "runAt", message: "runAt is in the past", code: "custom" }] });
          }
          const next = timingChanged ? nextAfter(when, t) : cur.nextRunAt; // validates the cron expression and the zone
          if (enabled && timingChanged && next === null) {
            throw new ApiError("SCHEDULE_ENDED", `Schedule ${id} ran once at ${iso(cur.runAt)} and has no run left: give a new runAt (or a cron) to resume it`, { id, runAt: iso(cur.runAt) });
          }
          const message = patch.message ?? cur.message;
          const tags = patch.tags !== undefined ? patch.tags : cur.groupTags;
          const textChanged = message !== cur.message;
          const groupChanged = JSON.stringify(tags ? [...tags].sort() : null) !== JSON.stringify(cur.groupTags ? [...cur.groupTags].sort() : null);
          db.update(broadcastSchedules)
            .set({ name: patch.name ?? cur.name, message, session: patch.session ?? cur.session, timeoutSec: patch.timeoutSec ?? cur.timeoutSec, groupTags: tags, ...when, enabled, nextRunAt: enabled ? next : null, updatedAt: t })
            .where(eq(broadcastSchedules.id, id))
            .run();
          return { cur, message, when, enabled, textChanged, groupChanged };
        })
        .immediate();
      const changed = Object.keys(patch).sort();
      audit.append({ actor: p.label, kind: "broadcast", outcome: "ok", teammate: null, gatewayUrl: null, ...(textChanged ? { message } : {}), details: { action: "schedule.updated", scheduleId: id, changed, cron: when.cron, runAt: iso(when.runAt), enabled } });
      if (cur.approvedSha256 !== null && (textChanged || groupChanged)) lapse(cur, textChanged ? "the text was edited" : "the recipients were edited", p.label);
      return toApi(row(id));
    },
    remove(id: number, p: Principal): void {
      const r = row(id);
      db.delete(broadcastSchedules).where(eq(broadcastSchedules.id, id)).run();
      audit.append({ actor: p.label, kind: "broadcast", outcome: "ok", teammate: null, gatewayUrl: null, details: { action: "schedule.deleted", scheduleId: r.id, name: r.name } });
    },
    /** Pre-approves exactly the current text and the recipients it resolves to now. */
    approve(id: number, p: Principal): Schedule {
      const r = row(id);
      const recipients = resolved(r.groupTags);
      if (!recipients.length) throw new ApiError("NO_RECIPIENTS", "Nobody would receive this schedule's broadcasts now; nothing to approve");
      const sha256 = sha256Hex(r.message);
      db.update(broadcastSchedules).set({ approvedSha256: sha256, approvedRecipients: recipients, approvedBy: actorOf(p), approvedAt: now(), updatedAt: now() }).where(eq(broadcastSchedules.id, id)).run();
      audit.append({ actor: p.label, kind: "broadcast", outcome: "ok", teammate: null, gatewayUrl: null, message: r.message, details: { action: "schedule.approved", scheduleId: id, sha256, recipients } });
      return toApi(row(id));
    },
    revokeApproval(id: number, p: Principal): Schedule {
      const r = row(id);
      db.update(broadcastSchedules).set({ approvedSha256: null, approvedRecipients: null, approvedBy: null, approvedAt: null, updatedAt: now() }).where(eq(broadcastSchedules.id, id)).run();
      audit.append({ actor: p.label, kind: "broadcast", outcome: "ok", teammate: null, gatewayUrl: null, details: { action: "schedule.approval_revoked", scheduleId: r.id } });
      return toApi(row(id));
    },
    /** Fires every due run this server wins the claim for; returns how many it fired. */
    async tick(): Promise<number> {
      const t = now();
      const due = db.select().from(broadcastSchedules).where(and(eq(broadcastSchedules.enabled, true), lte(broadcastSchedules.nextRunAt, t)) /* null never <= t */).orderBy(asc(broadcastSchedules.nextRunAt)).limit(50).all();
      let fired = 0;
      for (const r of due) {
        const fireTime = r.nextRunAt as number;
        if (!claim(r, t)) continue;
        fired++;
        await fire(r, fireTime);
      }
      return fired;
    },
    /** Runs tick() every intervalMs until the returned stop() (which waits for a tick in progress). */
    start(intervalMs: number): () => Promise<void> {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let running: Promise<unknown> = Promise.resolve();
      const loop = () => {
        if (stopped) return;
        running = this.tick()
          .catch((err: unknown) => deps.logger?.warn({ err }, "scheduler tick failed"))
          .finally(() => {
            if (!stopped) timer = setTimeout(loop, intervalMs);
          });
      };
      timer = setTimeout(loop, 0);
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      };
    },
  };
}

export type SchedulesService = ReturnType<typeof createSchedules>;
