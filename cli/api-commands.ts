// The commands that talk to the REST API.
import { readFileSync, statSync } from "node:fs";
import type * as Api from "../shared/api/index.ts";
import { bodyOf } from "../shared/api/fetch.ts";
import { ApiError, newIdempotencyKey, type ApiClient } from "./client.ts";
import { UsageError, type Command } from "./args.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import {
  broadcastExitCode,
  formatAccepted,
  formatAudit,
  formatBroadcast,
  formatImportReport,
  formatMessage,
  formatPing,
  formatRecipientsPreview,
  formatSendPreview,
  formatTeammates,
  formatWarnings,
  formatVerify,
  formatWhoami,
  lateReplyCommand,
  lateReplyHint,
  lateReplyPossible,
  messageExitCode,
  PENDING_STATUSES,
} from "./format.ts";
import type { CliIO } from "./io.ts";

type ApiCommand = Exclude<Extract<Command, { url: string | undefined }>, { name: "mcp" | "users" | "templates" | "schedules" }>;

export interface ApiContext {
  io: CliIO;
  client: ApiClient;
  json: boolean;
  /**
   * Never confirm a broadcast, even with a key that may: create it and leave it awaiting a person's
   * confirmation in the dashboard (the skill's bundle). Creating sends nothing, so no y/N or --yes.
   */
  neverConfirm?: boolean;
}

function out(ctx: ApiContext, human: string, machine: unknown): void {
  ctx.io.stdout(ctx.json ? JSON.stringify(machine, null, 2) : human);
}

function warn(ctx: ApiContext, lines: string[]): void {
  for (const l of lines) ctx.io.stderr(l);
}

/** `--message -` reads standard input (one trailing newline dropped). */
export async function resolveMessage(io: CliIO, message: string, command: string): Promise<string> {
  if (message !== "-") return message;
  const text = (await io.readStdin()).replace(/\r?\n$/, "");
  if (text.trim() === "") throw new UsageError("--message -: standard input was empty", command);
  return text;
}

export async function runApiCommand(cmd: ApiCommand, ctx: ApiContext): Promise<ExitCode> {
  const { client, io } = ctx;
  const api = client.api;
  switch (cmd.name) {
    case "whoami": {
      const [w, me] = await Promise.all([
        api.whoami.$get({}, client.opts()).then(bodyOf),
        api.auth.me.$get({}, client.opts()).then(bodyOf),
      ]);
      out(ctx, formatWhoami(w, me), { ...w, caller: me });
      return EXIT.OK;
    }
    case "list": {
      const r = await bodyOf(await api.teammates.$get({ query: cmd.tag ? { tag: cmd.tag } : {} }, client.opts()));
      out(ctx, formatTeammates(r.items, io.now()), r);
      return EXIT.OK;
    }
    case "ping": {
      const json: { to?: string; timeoutSec?: number } = {};
      if (cmd.to) json.to = cmd.to;
      if (cmd.timeoutSec) json.timeoutSec = cmd.timeoutSec;
      const r = await bodyOf(await api.ping.$post({ json }, client.opts({ timeoutMs: 180_000 })));
      out(ctx, formatPing(r.teammates), r);
      if (cmd.to && !r.teammates.some((t) => t.status.state === "online")) return EXIT.FAILED;
      return EXIT.OK;
    }
    case "send": {
      const message = await resolveMessage(io, cmd.message, "send");
      const r = await api.messages.$post(
        {
          json: {
            to: cmd.to,
            message,
            session: cmd.session,
            rounds: cmd.rounds,
            timeoutSec: cmd.timeoutSec,
            dryRun: cmd.dryRun,
            wait: cmd.wait,
            fallback: cmd.fallback,
            // only when asked: an override needs a permission most keys do not have
            ...(cmd.allowSecrets ? { allowSecrets: true } : {}),
          },
          header: { "idempotency-key": newIdempotencyKey() },
        },
        client.opts({ timeoutMs: (cmd.rounds * cmd.timeoutSec + 60) * 1000 }),
      );
      const body = await bodyOf(r);
      if ("dryRun" in body) {
        if (!ctx.json) warn(ctx, formatWarnings(body.warnings));
        out(ctx, formatSendPreview(body), body);
        return body.blockers.length ? EXIT.FAILED : EXIT.OK;
      }
      if (!("exchanges" in body)) {
        out(ctx, formatAccepted(body), body);
        return EXIT.OK;
      }
      if (!ctx.json) warn(ctx, formatWarnings(body.warnings));
      out(ctx, formatMessage(body), body);
      const hint = ctx.json ? lateReplyHint(body) : null;
      if (hint) io.stderr(hint);
      return messageExitCode(body);
    }
    case "reply":
      return runReply(cmd, ctx);
    case "broadcast":
      return runBroadcast(cmd, ctx);
    case "sync": {
      const r = await bodyOf(await api.teammates.sync.$post({}, client.opts({ timeoutMs: 120_000 })));
      out(ctx, formatImportReport(r), r);
      return EXIT.OK;
    }
    case "import": {
      const registry = readJsonFile(cmd.registry, "--registry");
      const tokens = cmd.tokens === undefined ? undefined : readJsonFile(cmd.tokens, "--tokens");
      if (cmd.tokens !== undefined && (statSync(cmd.tokens).mode & 0o077) !== 0) {
        io.stderr(`warning: ${cmd.tokens} is readable by other users; after importing, delete it (the tokens now live in the encrypted vault)`);
      }
      // the files' contents as read: the server validates them
      const json = (tokens === undefined ? { registry } : { registry, tokens }) as Api.ImportRequest;
      const r = await bodyOf(await api.teammates.import.$post({ json }, client.opts()));
      out(ctx, formatImportReport(r), r);
      return EXIT.OK;
    }
    case "audit": {
      const query: Record<string, string> = {};
      if (cmd.to) query.teammate = cmd.to;
      if (cmd.limit !== undefined) query.limit = String(cmd.limit);
      const r = await bodyOf(await api.audit.$get({ query }, client.opts()));
      out(ctx, formatAudit(r.items), r);
      return EXIT.OK;
    }
    case "audit-head": {
      const r = await bodyOf(await api.audit.head.$get({}, client.opts()));
      // always JSON: it is meant to be stored (team-mesh audit head > anchor.json)
      ctx.io.stdout(JSON.stringify(r, null, 2));
      return EXIT.OK;
    }
    case "audit-verify": {
      const anchor = cmd.anchor === undefined ? undefined : readJsonFile(cmd.anchor, "--anchor");
      const opts = client.opts({ timeoutMs: 600_000 });
      const r =
        anchor === undefined
          ? await bodyOf(await api.audit.verify.$get({}, opts))
          : await bodyOf(await api.audit.verify.$post({ json: { anchor } as Api.AuditVerifyRequest }, opts));
      out(ctx, formatVerify(r), r);
      return r.ok ? EXIT.OK : EXIT.FAILED;
    }
    case "status": {
      const param = { id: cmd.id };
      try {
        const m = await bodyOf(await api.messages[":id"].$get({ param }, client.opts()));
        out(ctx, formatMessage(m), m);
        return messageExitCode(m);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 404) throw err;
      }
      try {
        const b = await bodyOf(await api.broadcasts[":id"].$get({ param }, client.opts()));
        out(ctx, formatBroadcast(b), b);
        return broadcastExitCode(b);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          throw new ApiError("NOT_FOUND", `No message or broadcast with id ${cmd.id}`, 404, undefined, err.body);
        }
        throw err;
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** While `reply --wait` runs: between two reads of a message still running, two asks of the gateway (each audited). */
const READ_POLL_MS = 1000;
const ASK_POLL_MS = 3000;

/** `reply ID [--wait SEC]`: asks the server for the late replies of a message's timed-out rounds. */
async function runReply(cmd: Extract<Command, { name: "reply" }>, ctx: ApiContext): Promise<ExitCode> {
  const { client, io } = ctx;
  const param = { id: cmd.id };
  const started = Date.now();
  const deadline = started + cmd.waitSec * 1000;
  const ask = async () => {
    try {
      return await bodyOf(await client.api.messages[":id"]["late-reply"].$post({ param }, client.opts()));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        throw new ApiError("MESSAGE_NOT_FOUND", `No message with id ${cmd.id} (a broadcast's replies: team-mesh status ID)`, 404, undefined, err.body);
      }
      throw err;
    }
  };
  let m = await ask();
  const waiting = () => PENDING_STATUSES.has(m.status) || lateReplyPossible(m);
  while (waiting() && Date.now() < deadline) {
    await sleep(Math.min(PENDING_STATUSES.has(m.status) ? READ_POLL_MS : ASK_POLL_MS, Math.max(0, deadline - Date.now())));
    // still running: read it; ended without a reply: ask the gateway again
    m = PENDING_STATUSES.has(m.status) ? await bodyOf(await client.api.messages[":id"].$get({ param }, client.opts())) : await ask();
  }
  if (!waiting()) {
    out(ctx, formatMessage(m), m);
    return messageExitCode(m);
  }
  const why = PENDING_STATUSES.has(m.status) ? `message ${m.id} is still ${m.status}` : `no late reply for message ${m.id} yet`;
  const waited = cmd.waitSec ? ` (waited ${Math.round((Date.now() - started) / 1000)} s)` : "";
  if (ctx.json) io.stdout(JSON.stringify({ ...m, replyPending: true }, null, 2));
  else io.stdout(formatMessage(m, { hint: false }));
  io.stderr(`team-mesh: ${why}${waited}. Try again later: ${lateReplyCommand(m.id)}`);
  return EXIT.FAILED;
}

function readJsonFile(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

const sameRecipients = (a: { handle: string }[], b: { handle: string }[]) =>
  a.map((r) => r.handle).sort().join(",") === b.map((r) => r.handle).sort().join(",");

async function runBroadcast(cmd: Extract<Command, { name: "broadcast" }>, ctx: ApiContext): Promise<ExitCode> {
  const { client, io } = ctx;
  const api = client.api;
  const interactive = io.isTTY && !cmd.yes && !cmd.dryRun && !ctx.neverConfirm;
  if (!cmd.dryRun && !cmd.yes && !io.isTTY && !ctx.neverConfirm) {
    // Checked before anything is read or sent: a script must say --yes explicitly.
    throw new UsageError("broadcast needs --yes when not run on a terminal (nothing was sent); try --dry-run first", "broadcast");
  }
  if (interactive && cmd.message === "-") {
    throw new UsageError("--message - reads standard input, so the y/N question cannot be asked: add --yes (or --dry-run)", "broadcast");
  }
  const message = await resolveMessage(io, cmd.message, "broadcast");
  const base = { message, session: cmd.session, timeoutSec: cmd.timeoutSec, fallback: cmd.fallback, ...(cmd.allowSecrets ? { allowSecrets: true } : {}), ...(cmd.group ? { group: cmd.group } : {}) };

  let preview: Api.BroadcastPreview | null = null;
  if (cmd.dryRun || interactive) {
    // dryRun: the answer is the preview (200)
    preview = (await bodyOf(await api.broadcasts.$post({ json: { ...base, dryRun: true }, header: {} }, client.opts()))) as Api.BroadcastPreview;
    if (cmd.dryRun) {
      if (!ctx.json) warn(ctx, formatWarnings(preview.warnings));
      out(ctx, `Dry run: nothing was sent.\n${formatRecipientsPreview(preview)}`, preview);
      return EXIT.OK;
    }
    io.stderr(formatRecipientsPreview(preview));
    warn(ctx, formatWarnings(preview.warnings));
    if (preview.recipients.length === 0) {
      io.stderr("Nobody to send to; nothing was sent.");
      return EXIT.FAILED;
    }
    if (!(await confirm(io, `Broadcast to ${preview.recipients.length} teammate(s)? [y/N] `))) {
      io.stderr("Not sent.");
      return EXIT.OK;
    }
  }

  const created = (await bodyOf(
    await api.broadcasts.$post({ json: { ...base, dryRun: false }, header: { "idempotency-key": newIdempotencyKey() } }, client.opts()),
  )) as Api.Broadcast;
  if (!ctx.json && !interactive) warn(ctx, formatWarnings(created.warnings));
  if (preview && !sameRecipients(preview.recipients, created.recipients)) {
    io.stderr(`The recipients changed since the preview:\n${formatRecipientsPreview(created)}`);
    if (!(await confirm(io, `Broadcast to these ${created.recipients.length} teammate(s)? [y/N] `))) {
      await api.broadcasts[":id"].cancel.$post({ param: { id: created.id } }, client.opts()).catch(() => undefined);
      io.stderr("Not sent.");
      return EXIT.OK;
    }
  }
  if (!created.confirmationToken || ctx.neverConfirm) return awaiting(ctx, created);

  let confirmed: Api.Broadcast;
  try {
    confirmed = await bodyOf(
      await api.broadcasts[":id"].confirm.$post(
        { param: { id: created.id }, json: { token: created.confirmationToken, wait: false }, header: { "idempotency-key": newIdempotencyKey() } },
        client.opts(),
      ),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return awaiting(ctx, created);
    throw err;
  }
  // Follow it until every recipient has answered (or failed).
  const deadline = Date.now() + (cmd.timeoutSec * Math.max(1, confirmed.recipients.length) + 60) * 1000;
  while (confirmed.state === "sending" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    confirmed = await bodyOf(await api.broadcasts[":id"].$get({ param: { id: created.id } }, client.opts()));
  }
  out(ctx, formatBroadcast(confirmed), confirmed);
  return broadcastExitCode(confirmed);
}

function awaiting(ctx: ApiContext, b: Api.Broadcast): ExitCode {
  out(
    ctx,
    `${formatBroadcast(b)}\nBroadcast ${b.id} is awaiting confirmation in the dashboard: a person with the operator or admin role must confirm it.\nFollow it with: team-mesh status ${b.id}`,
    // the skill's bundle never hands the agent a confirmation token
    { ...b, ...(ctx.neverConfirm ? { confirmationToken: null } : {}), awaitingConfirmation: true },
  );
  return EXIT.OK;
}

async function confirm(io: CliIO, question: string): Promise<boolean> {
  const answer = (await io.prompt(question)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}
