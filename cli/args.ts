// Command line → a typed command. util.parseArgs, strict: unknown flags and missing values are
// usage errors (exit 2). No framework.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ROLES } from "../shared/api/enums.ts";
import { DEFAULT_SESSION, ROUNDS_MAX, ROUNDS_MIN, TIMEOUT_SEC_DEFAULT, TIMEOUT_SEC_MAX, AUDIT_PAGE_LIMIT_MAX } from "../shared/limits.ts";

export class UsageError extends Error {
  /** The command whose usage to show, if known. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

interface Common {
  json: boolean;
  /** --url, else MESH_URL, else http://127.0.0.1:8790 (resolved by main). */
  url: string | undefined;
}
interface Local {
  /** --data-dir, else MESH_DATA_DIR (resolved by main). */
  dataDir: string | undefined;
  json: boolean;
}

export type Command =
  | { name: "help"; topic: string | undefined }
  | { name: "version" }
  | (Common & { name: "whoami" })
  | (Common & { name: "mcp" })
  | (Common & { name: "list"; tag: string | undefined })
  | (Common & { name: "ping"; to: string | undefined; timeoutSec: number | undefined })
  | (Common & {
      name: "send";
      to: string;
      /** "-" means: read standard input. */
      message: string;
      session: string;
      rounds: number;
      timeoutSec: number;
      dryRun: boolean;
      wait: boolean;
      fallback: boolean;
      allowSecrets: boolean;
    })
  | (Common & { name: "broadcast"; message: string; session: string; timeoutSec: number; dryRun: boolean; yes: boolean; fallback: boolean; allowSecrets: boolean; group: string | undefined })
  | (Common & { name: "sync" })
  | (Common & { name: "import"; registry: string; tokens: string | undefined })
  | (Common & { name: "audit"; to: string | undefined; limit: number })
  | (Common & { name: "status"; id: string })
  | (Common & { name: "reply"; id: string; waitSec: number })
  | (Common & { name: "audit-verify"; anchor: string | undefined })
  | (Common & { name: "audit-head" })
  | (Common & { name: "users"; action: UsersAction; username: string; role: Role | undefined; passwordStdin: boolean })
  | (Common & { name: "templates"; action: TemplatesAction; /** ID or name ("" for list; the new name for create) */ ref: string; body: string | undefined; to: string | undefined; vars: Record<string, string> })
  | (Common & { name: "schedules"; action: SchedulesAction; /** the schedule id ("" for list and create) */ ref: string; flags: ScheduleFlags })
  | (Local & { name: "backup"; out: string | undefined })
  | (Local & { name: "restore"; file: string })
  | (Local & { name: "vault-rotate"; newKey: string | undefined })
  | (Local & { name: "reset-password"; username: string; passwordStdin: boolean });

export type CommandName = Command["name"];

type Role = (typeof ROLES)[number];
/** `team-mesh users ACTION ...` (admin keys): the positionals each action takes. */
export const USERS_ACTIONS = { list: [], create: ["USER"], role: ["USER", "ROLE"], disable: ["USER"], enable: ["USER"], "reset-password": ["USER"], keys: ["USER"] } as const;
export type UsersAction = keyof typeof USERS_ACTIONS;

/** `team-mesh templates ACTION ...` and `team-mesh schedules ACTION ...`: the positionals each action takes. */
export const TEMPLATES_ACTIONS = { list: [], show: ["ID"], create: ["NAME"], delete: ["ID"], render: ["ID"] } as const;
export type TemplatesAction = keyof typeof TEMPLATES_ACTIONS;
export const SCHEDULES_ACTIONS = { list: [], show: ["ID"], create: [], edit: ["ID"], delete: ["ID"], approve: ["ID"], revoke: ["ID"], pause: ["ID"], resume: ["ID"] } as const;
export type SchedulesAction = keyof typeof SCHEDULES_ACTIONS;

/** The flags of `schedules create|edit|resume`; undefined: not given (edit leaves that field alone). */
export interface ScheduleFlags {
  name?: string;
  /** "-" means: read standard input. */
  message?: string;
  /** A template (id or name) filled for a broadcast with `vars`, instead of --message. */
  template?: string;
  vars: Record<string, string>;
  cron?: string;
  /** --at, as ISO. */
  runAt?: string;
  timezone?: string;
  /** --group (repeatable); --everyone clears it (edit). */
  tags?: string[] | null;
  session?: string;
  timeoutSec?: number;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON: Options = {
  json: { type: "boolean", default: false },
  url: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
};
const LOCAL: Options = {
  json: { type: "boolean", default: false },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
};

const SPECS: Record<string, { options: Options; positionals: number; local?: boolean }> = {
  whoami: { options: COMMON, positionals: 0 },
  mcp: { options: COMMON, positionals: 0 },
  list: { options: { ...COMMON, tag: { type: "string" } }, positionals: 0 },
  ping: { options: { ...COMMON, to: { type: "string" }, timeout: { type: "string" } }, positionals: 0 },
  send: {
    options: {
      ...COMMON,
      to: { type: "string" },
      message: { type: "string", short: "m" },
      session: { type: "string" },
      rounds: { type: "string" },
      timeout: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      "no-wait": { type: "boolean", default: false },
      "no-fallback": { type: "boolean", default: false },
      "allow-secret": { type: "boolean", default: false },
    },
    positionals: 0,
  },
  broadcast: {
    options: {
      ...COMMON,
      message: { type: "string", short: "m" },
      session: { type: "string" },
      timeout: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      yes: { type: "boolean", short: "y", default: false },
      group: { type: "string" },
      "no-fallback": { type: "boolean", default: false },
      "allow-secret": { type: "boolean", default: false },
    },
    positionals: 0,
  },
  sync: { options: COMMON, positionals: 0 },
  import: { options: { ...COMMON, registry: { type: "string" }, tokens: { type: "string" } }, positionals: 0 },
  audit: { options: { ...COMMON, to: { type: "string" }, limit: { type: "string" } }, positionals: 0 },
  status: { options: COMMON, positionals: 1 },
  reply: { options: { ...COMMON, wait: { type: "string" } }, positionals: 1 },
  "audit-verify": { options: { ...COMMON, anchor: { type: "string" } }, positionals: 0 },
  "audit-head": { options: COMMON, positionals: 0 },
  users: { options: { ...COMMON, role: { type: "string" }, "password-stdin": { type: "boolean", default: false } }, positionals: 2 },
  templates: { options: { ...COMMON, body: { type: "string" }, to: { type: "string" }, var: { type: "string", multiple: true } }, positionals: 1 },
  schedules: {
    options: {
      ...COMMON,
      name: { type: "string" },
      message: { type: "string", short: "m" },
      template: { type: "string" },
      var: { type: "string", multiple: true },
      cron: { type: "string" },
      at: { type: "string" },
      tz: { type: "string" },
      group: { type: "string", multiple: true },
      everyone: { type: "boolean", default: false },
      session: { type: "string" },
      timeout: { type: "string" },
    },
    positionals: 1,
  },
  backup: { options: { ...LOCAL, out: { type: "string" } }, positionals: 0, local: true },
  restore: { options: LOCAL, positionals: 1, local: true },
  "vault-rotate": { options: { ...LOCAL, "new-key": { type: "string" } }, positionals: 0, local: true },
  "reset-password": { options: { ...LOCAL, "password-stdin": { type: "boolean", default: false } }, positionals: 1, local: true },
};

/** Longest `reply --wait`, in seconds. */
export const REPLY_WAIT_SEC_MAX = 3600;

export const COMMAND_NAMES = Object.keys(SPECS);

function intFlag(value: string | undefined, flag: string, min: number, max: number, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--${flag} must be a whole number (got ${JSON.stringify(value)})`, command);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${flag} must be between ${min} and ${max} (got ${n})`, command);
  return n;
}

function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value === "") throw new UsageError(`${command} needs --${flag}`, command);
  return value;
}

/** Parses argv (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[]): Command {
  const args = [...argv];
  const first = args[0];
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    return { name: "help", topic: first === "help" ? args[1] : undefined };
  }
  if (first === "--version" || first === "version") return { name: "version" };
  let name = first;
  let rest = args.slice(1);
  if (first === "vault") {
    if (rest[0] === "--help" || rest[0] === "-h" || rest[0] === undefined) return { name: "help", topic: "vault-rotate" };
    if (rest[0] !== "rotate") throw new UsageError(`unknown vault command ${JSON.stringify(rest[0])} (try: vault rotate)`, "vault-rotate");
    name = "vault-rotate";
    rest = rest.slice(1);
  } else if (first === "admin") {
    if (rest[0] === "--help" || rest[0] === "-h" || rest[0] === undefined) return { name: "help", topic: "reset-password" };
    if (rest[0] !== "reset-password") throw new UsageError(`unknown admin command ${JSON.stringify(rest[0])} (try: admin reset-password USER)`, "reset-password");
    name = "reset-password";
    rest = rest.slice(1);
  }
  let usersAction: UsersAction | undefined;
  if (first === "users") {
    const a = rest[0];
    if (a === "--help" || a === "-h" || a === undefined) return { name: "help", topic: "users" };
    if (!Object.hasOwn(USERS_ACTIONS, a)) throw new UsageError(`unknown users command ${JSON.stringify(a)} (try: users ${Object.keys(USERS_ACTIONS).join("|")})`, "users");
    usersAction = a as UsersAction;
    rest = rest.slice(1);
  }
  let resourceAction: string | undefined;
  if (first === "templates" || first === "schedules") {
    const actions = first === "templates" ? TEMPLATES_ACTIONS : SCHEDULES_ACTIONS;
    const a = rest[0];
    if (a === "--help" || a === "-h" || a === undefined) return { name: "help", topic: first };
    if (!Object.hasOwn(actions, a)) throw new UsageError(`unknown ${first} command ${JSON.stringify(a)} (try: ${first} ${Object.keys(actions).join("|")})`, first);
    resourceAction = a;
    rest = rest.slice(1);
  }
  if (first === "audit" && (rest[0] === "verify" || rest[0] === "head")) {
    name = `audit-${rest[0]}`;
    rest = rest.slice(1);
  }
  const spec = SPECS[name];
  const direct = first !== "vault" && first !== "admin" && first !== "audit";
  if (!spec || (direct && (name === "vault-rotate" || name === "reset-password" || name === "audit-verify" || name === "audit-head"))) {
    throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  }
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ""), name);
  }
  const v = parsed.values;
  if (v.help) return { name: "help", topic: name };
  const pos = parsed.positionals;
  if (usersAction) return usersCommand(usersAction, pos, v as Record<string, string | boolean | undefined>, { json: v.json === true, url: v.url as string | undefined });
  if (resourceAction && first === "templates") return templatesCommand(resourceAction as TemplatesAction, pos, v, { json: v.json === true, url: v.url as string | undefined });
  if (resourceAction) return schedulesCommand(resourceAction as SchedulesAction, pos, v, { json: v.json === true, url: v.url as string | undefined });
  if (pos.length > spec.positionals) throw new UsageError(`unexpected argument ${JSON.stringify(pos[spec.positionals])}`, name);
  if (pos.length < spec.positionals) throw new UsageError(`${name} needs ${spec.positionals === 1 ? "an argument" : "arguments"}`, name);

  const str = (k: string) => v[k] as string | undefined;
  const bool = (k: string) => v[k] === true;
  if (spec.local) {
    const local: Local = { dataDir: str("data-dir"), json: bool("json") };
    switch (name) {
      case "backup":
        return { ...local, name, out: str("out") };
      case "restore":
        return { ...local, name, file: pos[0] as string };
      case "vault-rotate":
        return { ...local, name, newKey: str("new-key") };
      default:
        return { ...local, name: "reset-password", username: pos[0] as string, passwordStdin: bool("password-stdin") };
    }
  }
  const common: Common = { json: bool("json"), url: str("url") };
  const session = checkedSession(str("session") ?? DEFAULT_SESSION, name);
  switch (name) {
    case "whoami":
    case "mcp":
    case "list":
      return { ...common, name, tag: str("tag") };
    case "sync":
      return { ...common, name };
    case "ping":
      return { ...common, name, to: str("to"), timeoutSec: intFlag(str("timeout"), "timeout", 1, 60, name) };
    case "send":
      return {
        ...common,
        name,
        to: required(str("to"), "to", name),
        message: required(str("message"), "message", name),
        session,
        rounds: intFlag(str("rounds"), "rounds", ROUNDS_MIN, ROUNDS_MAX, name) ?? 1,
        timeoutSec: intFlag(str("timeout"), "timeout", 1, TIMEOUT_SEC_MAX, name) ?? TIMEOUT_SEC_DEFAULT,
        dryRun: bool("dry-run"),
        wait: !bool("no-wait"),
        fallback: !bool("no-fallback"),
        allowSecrets: bool("allow-secret"),
      };
    case "broadcast":
      return {
        ...common,
        name,
        message: required(str("message"), "message", name),
        session,
        timeoutSec: intFlag(str("timeout"), "timeout", 1, TIMEOUT_SEC_MAX, name) ?? TIMEOUT_SEC_DEFAULT,
        dryRun: bool("dry-run"),
        yes: bool("yes"),
        fallback: !bool("no-fallback"),
        allowSecrets: bool("allow-secret"),
        group: str("group"),
      };
    case "import":
      return { ...common, name, registry: required(str("registry"), "registry", name), tokens: str("tokens") };
    case "audit":
      return { ...common, name, to: str("to"), limit: intFlag(str("limit"), "limit", 1, AUDIT_PAGE_LIMIT_MAX, name) ?? 20 };
    case "audit-verify":
      return { ...common, name, anchor: str("anchor") };
    case "audit-head":
      return { ...common, name };
    case "reply":
      return { ...common, name, id: pos[0] as string, waitSec: intFlag(str("wait"), "wait", 0, REPLY_WAIT_SEC_MAX, name) ?? 0 };
    default:
      return { ...common, name: "status", id: pos[0] as string };
  }
}

function usersCommand(action: UsersAction, pos: string[], v: Record<string, string | boolean | undefined>, common: Common): Command {
  const want: readonly string[] = USERS_ACTIONS[action];
  const usage = `users ${action}${want.map((w) => ` ${w}`).join("")}`;
  if (pos.length !== want.length) throw new UsageError(`${usage}: ${pos.length < want.length ? `needs ${want.slice(pos.length).join(" and ")}` : `unexpected argument ${JSON.stringify(pos[want.length])}`}`, "users");
  const roleText = action === "role" ? pos[1] : (v.role as string | undefined);
  if (action === "create" && roleText === undefined) throw new UsageError("users create needs --role (admin, operator, requester or auditor)", "users");
  if (roleText !== undefined && !(ROLES as readonly string[]).includes(roleText)) {
    throw new UsageError(`role must be one of ${ROLES.join(", ")} (got ${JSON.stringify(roleText)})`, "users");
  }
  if (v.role !== undefined && action !== "create") throw new UsageError(`--role is for users create (users role USER ROLE changes a role)`, "users");
  if (v["password-stdin"] === true && action !== "create") throw new UsageError("--password-stdin is for users create", "users");
  return { ...common, name: "users", action, username: pos[0] ?? "", role: roleText as Role | undefined, passwordStdin: v["password-stdin"] === true };
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** A session name as the server takes it (shared/api/messages.ts); a usage error otherwise. */
function checkedSession(session: string, command: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/.test(session)) throw new UsageError("--session: 1-128 of letters, digits, : . _ - (starting with a letter or digit)", command);
  return session;
}

/** A flag was given (a repeatable one at least once; a boolean set). */
const isGiven = (v: Values, flag: string) => (Array.isArray(v[flag]) ? (v[flag] as string[]).length > 0 : v[flag] !== undefined && v[flag] !== false);

function positionalsFor(command: string, action: string, want: readonly string[], pos: string[]): void {
  const usage = `${command} ${action}${want.map((w) => ` ${w}`).join("")}`;
  if (pos.length !== want.length) throw new UsageError(`${usage}: ${pos.length < want.length ? `needs ${want.slice(pos.length).join(" and ")}` : `unexpected argument ${JSON.stringify(pos[want.length])}`}`, command);
}

function onlyFor(command: string, action: string, v: Values, flags: string[], allowed: readonly string[]): void {
  for (const f of flags) {
    if (isGiven(v, f) && !allowed.includes(action)) throw new UsageError(`--${f} is for ${command} ${allowed.join("|")}`, command);
  }
}

/** --var key=value (repeatable) → { key: value }. */
function varsOf(v: Values, command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (v.var as string[] | undefined) ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`--var needs key=value (got ${JSON.stringify(pair)})`, command);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function scheduleId(action: string, ref: string | undefined): string {
  if (ref === undefined) return "";
  if (!/^[1-9]\d*$/.test(ref)) throw new UsageError(`schedules ${action}: ID must be a schedule's number (team-mesh schedules list), got ${JSON.stringify(ref)}`, "schedules");
  return ref;
}

function templatesCommand(action: TemplatesAction, pos: string[], v: Values, common: Common): Command {
  positionalsFor("templates", action, TEMPLATES_ACTIONS[action], pos);
  onlyFor("templates", action, v, ["body"], ["create"]);
  onlyFor("templates", action, v, ["to", "var"], ["render"]);
  if (action === "create" && (v.body === undefined || v.body === "")) throw new UsageError("templates create needs --body TEXT (or --body - to read standard input)", "templates");
  return { ...common, name: "templates", action, ref: pos[0] ?? "", body: v.body as string | undefined, to: v.to as string | undefined, vars: varsOf(v, "templates") };
}

const CHANGE_FLAGS = ["name", "message", "template", "var", "cron", "at", "tz", "group", "everyone", "session", "timeout"];

function schedulesCommand(action: SchedulesAction, pos: string[], v: Values, common: Common): Command {
  positionalsFor("schedules", action, SCHEDULES_ACTIONS[action], pos);
  const str = (k: string) => v[k] as string | undefined;
  onlyFor("schedules", action, v, CHANGE_FLAGS.filter((f) => f !== "at"), ["create", "edit"]);
  onlyFor("schedules", action, v, ["at"], ["create", "edit", "resume"]);
  if (str("message") !== undefined && str("template") !== undefined) throw new UsageError("give --message or --template, not both", "schedules");
  if ((v.var as string[] | undefined)?.length && str("template") === undefined) throw new UsageError("--var fills a --template", "schedules");
  if (str("cron") !== undefined && str("at") !== undefined) throw new UsageError("give --cron (recurring) or --at (once), not both", "schedules");
  const groups = ((v.group as string[] | undefined) ?? []).map((g) => g.replace(/^@/, ""));
  if (groups.length && v.everyone === true) throw new UsageError("give --group or --everyone, not both", "schedules");
  let runAt: string | undefined;
  const at = str("at");
  if (at !== undefined) {
    const t = Date.parse(at);
    if (Number.isNaN(t)) throw new UsageError(`--at must be a date and time such as 2026-12-08T09:00 (local) or 2026-12-08T08:00:00Z (got ${JSON.stringify(at)})`, "schedules");
    runAt = new Date(t).toISOString();
  }
  const given = str("session");
  const session = given === undefined ? undefined : checkedSession(given, "schedules");
  const flags: ScheduleFlags = {
    ...(str("name") !== undefined ? { name: str("name") } : {}),
    ...(str("message") !== undefined ? { message: str("message") } : {}),
    ...(str("template") !== undefined ? { template: str("template") } : {}),
    vars: varsOf(v, "schedules"),
    ...(str("cron") !== undefined ? { cron: str("cron") } : {}),
    ...(runAt !== undefined ? { runAt } : {}),
    ...(str("tz") !== undefined ? { timezone: str("tz") } : {}),
    ...(groups.length ? { tags: groups } : v.everyone === true ? { tags: null } : {}),
    ...(session !== undefined ? { session } : {}),
    ...(str("timeout") !== undefined ? { timeoutSec: intFlag(str("timeout"), "timeout", 1, TIMEOUT_SEC_MAX, "schedules") } : {}),
  };
  if (action === "create") {
    if (!flags.name) throw new UsageError("schedules create needs --name", "schedules");
    if (flags.message === undefined && flags.template === undefined) throw new UsageError("schedules create needs --message TEXT|- or --template ID", "schedules");
    if (flags.cron === undefined && flags.runAt === undefined) throw new UsageError("schedules create needs --cron EXPR (recurring) or --at TIME (once)", "schedules");
    if (flags.tags === null) throw new UsageError("--everyone is for schedules edit (a new schedule without --group is for everyone)", "schedules");
  }
  if (action === "edit" && !CHANGE_FLAGS.some((f) => isGiven(v, f))) {
    throw new UsageError("schedules edit ID needs something to change (--name --message --template --cron --at --tz --group --everyone --session --timeout)", "schedules");
  }
  return { ...common, name: "schedules", action, ref: scheduleId(action, pos[0]), flags };
}
