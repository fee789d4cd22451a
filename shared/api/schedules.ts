import { z } from "zod";
import { Actor, Iso } from "./common.ts";
import { Session } from "./messages.ts";
import { Tag } from "./teammates.ts";
import { TIMEOUT_SEC_DEFAULT, TIMEOUT_SEC_MAX } from "../limits.ts";

export const ScheduleCreate = z
  .object({
    name: z.string().trim().min(1).max(100),
    message: z.string().min(1),
    session: Session.default("main"),
    timeoutSec: z.number().int().min(1).max(TIMEOUT_SEC_MAX).default(TIMEOUT_SEC_DEFAULT),
    /** Only teammates with any of these tags (resolved at each run); omit for everyone. */
    tags: z.array(Tag).min(1).max(20).optional(),
    /** Recurring: 5- or 6-field cron ("0 9 * * 1-5"). */
    cron: z.string().trim().min(1).max(200).optional(),
    /** One-off: when. */
    runAt: Iso.optional(),
    /** IANA time zone the cron is read in (default UTC). */
    timezone: z.string().trim().min(1).max(64).default("UTC"),
  })
  .refine((s) => (s.cron === undefined) !== (s.runAt === undefined), { message: "give either cron (recurring) or runAt (once)", path: ["cron"] });
export type ScheduleCreate = z.input<typeof ScheduleCreate>;

/**
 * PATCH /schedules/{id}: only the fields given change. `cron` or `runAt` switches the schedule to
 * that kind; `tags: null` means everyone; `enabled: false` pauses it. Changing `message` or `tags`
 * lapses a pre-approval; timing, name and enabled keep it.
 */
export const ScheduleUpdate = z
  .object({
    name: z.string().trim().min(1).max(100),
    message: z.string().min(1),
    session: Session.unwrap(), // no default here: an edit leaves an unnamed field alone
    timeoutSec: z.number().int().min(1).max(TIMEOUT_SEC_MAX),
    tags: z.array(Tag).min(1).max(20).nullable(),
    cron: z.string().trim().min(1).max(200),
    runAt: Iso,
    timezone: z.string().trim().min(1).max(64),
    enabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine((s) => s.cron === undefined || s.runAt === undefined, { message: "give cron (recurring) or runAt (once), not both", path: ["cron"] })
  .refine((s) => Object.keys(s).length > 0, { message: "nothing to change: give at least one field", path: [] });
export type ScheduleUpdate = z.input<typeof ScheduleUpdate>;

export const SchedulePreviewRequest = z.object({
  cron: z.string().trim().min(1).max(200),
  timezone: z.string().trim().min(1).max(64).default("UTC"),
  count: z.number().int().min(1).max(20).default(5),
});
export const SchedulePreview = z.object({
  /** The next fire times (ISO, UTC). */
  nextRuns: z.array(Iso),
  /** The same, in words in the schedule's time zone, e.g. "Mon 8 Dec 2026, 09:00 (Europe/Berlin)". */
  human: z.array(z.string()),
});
export type SchedulePreview = z.infer<typeof SchedulePreview>;

export const ScheduleRun = z.object({
  fireTime: Iso,
  broadcastId: z.string().nullable(),
  outcome: z.enum(["awaiting_confirmation", "auto_confirmed", "failed"]),
  error: z.string().nullable(),
});

export const Schedule = z.object({
  id: z.number().int(),
  name: z.string(),
  message: z.string(),
  sha256: z.string(),
  session: z.string(),
  timeoutSec: z.number().int(),
  tags: z.array(z.string()).nullable(),
  cron: z.string().nullable(),
  runAt: Iso.nullable(),
  timezone: z.string(),
  enabled: z.boolean(),
  nextRunAt: Iso.nullable(),
  nextRuns: z.array(Iso),
  /** Set while an admin's pre-approval holds: runs are confirmed at once while text and recipients match it. */
  approval: z.object({ sha256: z.string(), recipients: z.array(z.string()), by: Actor, at: Iso }).nullable(),
  runs: z.array(ScheduleRun),
  createdBy: Actor,
  createdAt: Iso,
});
export type Schedule = z.infer<typeof Schedule>;
