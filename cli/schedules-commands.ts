// `team-mesh schedules list|show|create|edit|delete|approve|revoke|pause|resume`: scheduled
// broadcasts. --template fills a template for a broadcast (recipient variables refused) into the
// text before it is stored. `approve` (an admin key) is left out of the skill: a pre-approval makes
// runs go out without a person confirming them, which the skill never does.
import { bodyOf } from "../shared/api/fetch.ts";
import type { Schedule, ScheduleCreate, ScheduleUpdate } from "../shared/api/schedules.ts";
import { UsageError, type Command } from "./args.ts";
import type { ApiClient } from "./client.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { CliIO } from "./io.ts";
import { resolveMessage } from "./api-commands.ts";
import { renderForBroadcast } from "./templates-commands.ts";

type SchedulesCommand = Extract<Command, { name: "schedules" }>;

const when = (s: Schedule) => (s.cron ? `cron ${s.cron} (${s.timezone})` : `once at ${s.runAt ?? "?"}`);
const who = (s: Schedule) => (s.tags ? s.tags.map((t) => `@${t}`).join(" ") : "everyone");

export function scheduleLine(s: Schedule): string {
  const state = !s.enabled ? "paused" : s.approval ? "pre-approved" : "needs confirmation";
  return `${String(s.id).padStart(4)}  ${s.name.padEnd(24)} ${when(s)} · ${who(s)} · next ${s.nextRunAt ?? "none"} · ${state}`;
}

function scheduleDetail(s: Schedule): string {
  const lines = [
    `Schedule ${s.id}: ${s.name}${s.enabled ? "" : " (paused)"}`,
    `When: ${when(s)}`,
    `For: ${who(s)} (resolved at each run); session ${s.session}, timeout ${s.timeoutSec} s`,
    `Next runs: ${s.nextRuns.length ? s.nextRuns.join(", ") : "none"}`,
    s.approval
      ? `Pre-approved by ${s.approval.by.name} at ${s.approval.at} for ${s.approval.recipients.join(", ")} (sha256 ${s.approval.sha256.slice(0, 12)}…)`
      : "Not pre-approved: each run waits for confirmation in the dashboard",
    `Text (sha256 ${s.sha256.slice(0, 12)}…):`,
    s.message,
  ];
  if (s.runs.length) lines.push("", "Last runs:", ...s.runs.map((r) => `  ${r.fireTime}  ${r.outcome}${r.broadcastId ? `  broadcast ${r.broadcastId}` : ""}${r.error ? `  ${r.error}` : ""}`));
  return lines.join("\n");
}

export async function runSchedulesCommand(cmd: SchedulesCommand, ctx: { io: CliIO; client: ApiClient; json: boolean; neverConfirm: boolean }): Promise<ExitCode> {
  const { io, client } = ctx;
  const api = client.api;
  const out = (human: string, machine: unknown) => io.stdout(ctx.json ? JSON.stringify(machine, null, 2) : human);
  const param = { id: cmd.ref };
  const f = cmd.flags;
  const text = async (): Promise<string | undefined> => {
    if (f.template !== undefined) return renderForBroadcast(client, f.template, f.vars);
    return f.message === undefined ? undefined : resolveMessage(io, f.message, "schedules");
  };
  const patch = async (json: ScheduleUpdate, done: (s: Schedule) => string) => {
    const s = await bodyOf(await api.schedules[":id"].$patch({ param, json }, client.opts()));
    out(done(s), s);
    return EXIT.OK;
  };
  switch (cmd.action) {
    case "list": {
      const r = await bodyOf(await api.schedules.$get({}, client.opts()));
      out(r.items.length ? r.items.map(scheduleLine).join("\n") : "No schedules.", r);
      return EXIT.OK;
    }
    case "show": {
      const s = await bodyOf(await api.schedules[":id"].$get({ param }, client.opts()));
      out(scheduleDetail(s), s);
      return EXIT.OK;
    }
    case "create": {
      const json: ScheduleCreate = {
        name: f.name as string,
        message: (await text()) as string,
        ...(f.cron !== undefined ? { cron: f.cron } : { runAt: f.runAt as string }),
        ...(f.timezone !== undefined ? { timezone: f.timezone } : {}),
        ...(f.tags ? { tags: f.tags } : {}),
        ...(f.session !== undefined ? { session: f.session } : {}),
        ...(f.timeoutSec !== undefined ? { timeoutSec: f.timeoutSec } : {}),
      };
      const s = await bodyOf(await api.schedules.$post({ json }, client.opts()));
      out(`Created schedule ${s.id} (${s.name}): ${when(s)}, for ${who(s)}; next run ${s.nextRunAt ?? "none"}.\nEach run waits for confirmation unless an admin pre-approves it (team-mesh schedules approve ${s.id}).`, s);
      return EXIT.OK;
    }
    case "edit": {
      const message = await text();
      const json: ScheduleUpdate = {
        ...(f.name !== undefined ? { name: f.name } : {}),
        ...(message !== undefined ? { message } : {}),
        ...(f.cron !== undefined ? { cron: f.cron } : {}),
        ...(f.runAt !== undefined ? { runAt: f.runAt } : {}),
        ...(f.timezone !== undefined ? { timezone: f.timezone } : {}),
        ...(f.tags !== undefined ? { tags: f.tags } : {}),
        ...(f.session !== undefined ? { session: f.session } : {}),
        ...(f.timeoutSec !== undefined ? { timeoutSec: f.timeoutSec } : {}),
      };
      return patch(json, (s) => `Updated schedule ${s.id} (${s.name}): ${when(s)}, for ${who(s)}; next run ${s.nextRunAt ?? "none"}.${s.approval ? "" : " Not pre-approved: each run waits for confirmation."}`);
    }
    case "pause":
      return patch({ enabled: false }, (s) => `Paused schedule ${s.id} (${s.name}): no run until it is resumed.`);
    case "resume":
      return patch({ enabled: true, ...(f.runAt !== undefined ? { runAt: f.runAt } : {}) }, (s) => `Resumed schedule ${s.id} (${s.name}); next run ${s.nextRunAt ?? "none"}.`);
    case "delete": {
      await api.schedules[":id"].$delete({ param }, client.opts()).then(bodyOf);
      out(`Deleted schedule ${cmd.ref}.`, { deleted: Number(cmd.ref) });
      return EXIT.OK;
    }
    case "approve": {
      if (ctx.neverConfirm) {
        throw new UsageError("schedules approve is not part of the skill: a pre-approval sends runs without a person confirming them; an admin approves in the dashboard or with the team-mesh CLI", "schedules");
      }
      const s = await bodyOf(await api.schedules[":id"].approve.$post({ param }, client.opts()));
      const a = s.approval;
      out(`Pre-approved schedule ${s.id} (${s.name}) for ${a ? a.recipients.join(", ") : "?"}: runs with exactly this text and these recipients are confirmed at once; any change ends the approval.`, s);
      return EXIT.OK;
    }
    case "revoke": {
      const s = await bodyOf(await api.schedules[":id"].approve.$delete({ param }, client.opts()));
      out(`Revoked the pre-approval of schedule ${s.id} (${s.name}): each run waits for confirmation again.`, s);
      return EXIT.OK;
    }
  }
}
