// `team-mesh`: the command-line client of Team Mesh. bin/team-mesh.mjs runs main().
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ApiClient, ApiError, DEFAULT_URL, shownError, UnreachableError } from "./client.ts";
import { parseCommandLine, UsageError, type Command } from "./args.ts";
import { EXIT, exitCodeForApiError, type ExitCode } from "./exit-codes.ts";
import { usageFor } from "./help.ts";
import { runApiCommand } from "./api-commands.ts";
import { LocalError, NotFoundLocalError } from "./errors.ts";
import { processIO, type CliIO } from "./io.ts";

/** Set by the skill's bundle (scripts/build-skill.mjs), which has no package.json beside it. */
declare const TEAM_MESH_VERSION: string | undefined;

function version(): string {
  if (typeof TEAM_MESH_VERSION === "string") return TEAM_MESH_VERSION;
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export interface RunOptions {
  /** Broadcasts are created and left awaiting confirmation in the dashboard, never confirmed (the skill). */
  neverConfirm?: boolean;
  /** `users ...` (the skill's bundle leaves these admin commands out). Default true. */
  adminCommands?: boolean;
}

/** Where the key is read from when MESH_API_KEY is not set and MESH_API_KEY_FILE does not say. */
export const DEFAULT_KEY_FILE = "~/.openclaw/credentials/team-mesh.key";

/** MESH_API_KEY, else the first line of MESH_API_KEY_FILE (default DEFAULT_KEY_FILE, if it exists). */
function apiKeyOf(env: NodeJS.ProcessEnv): { key: string | undefined; problem?: string } {
  const direct = env.MESH_API_KEY?.trim();
  if (direct) return { key: direct };
  const named = env.MESH_API_KEY_FILE?.trim();
  const file = named || join(env.HOME ?? homedir(), ".openclaw/credentials/team-mesh.key");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!named && code === "ENOENT") return { key: undefined };
    return { key: undefined, problem: `cannot read the key file MESH_API_KEY_FILE=${file}: ${code ?? (err as Error).message}` };
  }
  const key = text.trim();
  return key ? { key } : { key: undefined, problem: `the key file ${file} is empty` };
}

const isLocal = (c: Command): c is Extract<Command, { dataDir: string | undefined }> => "dataDir" in c;

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIO, opts: RunOptions = {}): Promise<ExitCode> {
  let cmd: Command;
  try {
    cmd = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      if (argv.includes("--json")) return fail(io, true, EXIT.USAGE, "USAGE", err.message);
      io.stderr(`team-mesh: ${err.message}\n\n${usageFor(err.command, opts.adminCommands !== false)}`);
      return EXIT.USAGE;
    }
    throw err;
  }
  if (cmd.name === "help") {
    io.stdout(usageFor(cmd.topic, opts.adminCommands !== false));
    return EXIT.OK;
  }
  if (cmd.name === "version") {
    io.stdout(argv.includes("--json") ? JSON.stringify({ version: version() }) : version());
    return EXIT.OK;
  }
  const json = cmd.json;
  if (cmd.name === "users" && opts.adminCommands === false) {
    return fail(io, json, EXIT.USAGE, "USAGE", "users is an admin command, not part of the skill: run team-mesh (npm package or checkout) with an admin key");
  }
  try {
    if (isLocal(cmd)) {
      // Loaded only for local commands: they open the database and the vault.
      const { runLocalCommand } = await import("../server/admin/local-commands.ts");
      return await runLocalCommand(cmd, io);
    }
    const { key: apiKey, problem } = apiKeyOf(io.env);
    if (!apiKey) {
      const why = problem ?? `MESH_API_KEY is not set (nor MESH_API_KEY_FILE, and there is no ${DEFAULT_KEY_FILE})`;
      return fail(io, json, EXIT.AUTH, "UNAUTHENTICATED", `${why}: create an API key in the dashboard (API keys page, /keys) and export it`);
    }
    const client = new ApiClient(cmd.url ?? io.env.MESH_URL ?? DEFAULT_URL, apiKey);
    if (cmd.name === "mcp") return await (await import("./mcp.ts")).runMcp(client, io);
    if (cmd.name === "users") return await (await import("./users-commands.ts")).runUsersCommand(cmd, { io, client, json });
    if (cmd.name === "templates") return await (await import("./templates-commands.ts")).runTemplatesCommand(cmd, { io, client, json });
    if (cmd.name === "schedules") return await (await import("./schedules-commands.ts")).runSchedulesCommand(cmd, { io, client, json, neverConfirm: opts.neverConfirm === true });
    return await runApiCommand(cmd, { io, client, json, neverConfirm: opts.neverConfirm === true });
  } catch (err) {
    if (err instanceof UsageError) return fail(io, json, EXIT.USAGE, "USAGE", err.message);
    if (err instanceof ApiError) {
      const shown = shownError(err);
      const code = exitCodeForApiError(err.status, shown.code);
      if (json) {
        io.stdout(JSON.stringify({ error: { code: shown.code ?? `HTTP_${err.status}`, message: shown.message, details: err.details }, status: err.status }, null, 2));
        return code;
      }
      io.stderr(`team-mesh: ${shown.message}${shown.code ? ` [${shown.code}]` : ""}${hint(err)}`);
      return code;
    }
    if (err instanceof UnreachableError) return fail(io, json, EXIT.UNREACHABLE, "UNREACHABLE", err.message);
    if (err instanceof NotFoundLocalError) return fail(io, json, EXIT.NOT_FOUND, "NOT_FOUND", err.message);
    if (err instanceof LocalError || (err instanceof Error && (err.name === "RestoreError" || err.name === "BackupError"))) {
      return fail(io, json, EXIT.FAILED, "FAILED", err.message);
    }
    const message = err instanceof Error ? err.message : String(err);
    return fail(io, json, EXIT.FAILED, "FAILED", message);
  }
}

function fail(io: CliIO, json: boolean, code: ExitCode, errorCode: string, message: string): ExitCode {
  if (json) io.stdout(JSON.stringify({ error: { code: errorCode, message } }, null, 2));
  else io.stderr(`team-mesh: ${message}`);
  return code;
}

/** One line of advice for the errors people hit most. */
function hint(err: ApiError): string {
  const details = err.details as { matches?: unknown; needs?: string; roles?: string[]; limit?: number } | undefined;
  switch (err.code) {
    case "AMBIGUOUS_TEAMMATE":
      return Array.isArray(details?.matches) ? `\n  matches: ${details.matches.map((m) => (typeof m === "string" ? m : (m as { handle?: string }).handle)).join(", ")}; use the exact handle` : "\n  use the exact handle (team-mesh list)";
    case "TEAMMATE_NOT_FOUND":
      return "\n  see `team-mesh list` for handles";
    case "FORBIDDEN":
      return details?.needs ? `\n  this key lacks ${details.needs} (roles with it: ${(details.roles ?? []).join(", ")})` : "";
    case "UNAUTHENTICATED":
    case "INVALID_CREDENTIALS":
      return "\n  check MESH_API_KEY (revoked or expired keys answer 401)";
    case "MESSAGE_TOO_LARGE":
      return "\n  shorten the message or send it in parts";
    default:
      return "";
  }
}

export async function main(argv = process.argv.slice(2), opts: RunOptions = {}): Promise<void> {
  const code = await run(argv, processIO(), opts);
  process.exitCode = code;
}
