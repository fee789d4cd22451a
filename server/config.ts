// Environment → typed, validated configuration. Every MESH_ variable, its default and its
// meaning live in one zod object (`ConfigSchema`) whose output is the Config.
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { MESSAGE_HARD_LIMIT_DEFAULT, MESSAGE_SOFT_LIMIT_DEFAULT } from "../shared/limits.ts";

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .transform((v) => (v.trim() === "" ? undefined : v.trim()))
  .optional();

/** A variable: its schema, the default (as it would be written in the environment) and its meaning. */
function envVar<S extends z.ZodType>(schema: S, def: string, meaning: string) {
  // prefault: an unset variable is parsed as if it held the default (every schema takes a string)
  return schema.prefault(def as z.input<S>).meta({ default: def, description: meaning });
}

/** Issues that already name their variable (they never quote its value: it may be a secret). */
const named = (message: string) => ({ code: "custom" as const, message, params: { named: true } });

/** Why a fallback webhook URL cannot work, or null. Never quotes the URL (it may hold a secret). */
function webhookUrlProblem(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return "MESH_FALLBACK_WEBHOOK_URL: not a valid URL (expected https://... or http://...)";
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return "MESH_FALLBACK_WEBHOOK_URL: must be an http:// or https:// URL";
  if (u.username || u.password) {
    return "MESH_FALLBACK_WEBHOOK_URL: must not contain user:password@ (HTTP clients refuse such URLs); put the secret in the path or query instead";
  }
  return null;
}

/** The host names /mcp answers (DNS-rebinding protection): the list given, else localhost-class names and the bind address. */
function mcpHosts(list: string | undefined, bindHost: string): string[] {
  if (list) return list.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  const hosts = ["localhost", "127.0.0.1", "[::1]"];
  const bind = bindHost.includes(":") && !bindHost.startsWith("[") ? `[${bindHost}]` : bindHost.toLowerCase();
  if (bind !== "0.0.0.0" && bind !== "[::]" && !hosts.includes(bind)) hosts.push(bind);
  return hosts;
}

/** The documented variables, in the README's order. */
const EnvSchema = z.object({
  MESH_HOST: envVar(z.string().min(1), "127.0.0.1", "Address the HTTP server binds to"),
  MESH_PORT: envVar(int(0, 65535), "8790", "HTTP port (0 picks a free one)"),
  MESH_DATA_DIR: envVar(z.string().min(1), "./data", "Folder for the SQLite file, the generated vault key and backups"),
  MESH_DB_FILE: envVar(optionalString, "", "SQLite file (default $MESH_DATA_DIR/team-mesh.db)"),
  MESH_VAULT_KEY: envVar(
    optionalString.superRefine((key, ctx) => {
      if (key !== undefined && Buffer.from(key, "base64").length !== 32) ctx.addIssue(named("MESH_VAULT_KEY: must be base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)"));
    }),
    "",
    "Vault master key, base64 of 32 bytes (default: a key file generated in the data dir, mode 0600)",
  ),
  MESH_ADMIN_PASSWORD: envVar(optionalString, "", "Password of the first admin account (user 'admin') on first start; without it a one-time setup code is printed"),
  MESH_MY_EMAIL: envVar(optionalString, "", "This dashboard's own agent, as handle@domain or handle: broadcasts never go to it"),
  MESH_EMAIL_DOMAIN: envVar(optionalString, "", "Domain appended to handles for the fallback webhook's email field"),
  MESH_MSG_SOFT_LIMIT: envVar(int(1, 1_048_576), String(MESSAGE_SOFT_LIMIT_DEFAULT), "Message size (UTF-8 bytes) above which a send warns"),
  MESH_MSG_HARD_LIMIT: envVar(int(1, 1_048_576), String(MESSAGE_HARD_LIMIT_DEFAULT), "Message size (UTF-8 bytes) above which a send is refused (413)"),
  MESH_REPLY_MAX_BYTES: envVar(int(1024, 16_777_216), "262144", "Largest reply (UTF-8 bytes) kept from a gateway; a longer one keeps its first part"),
  MESH_REGISTRY_URL: envVar(optionalString, "", "Registry source for sync: an https URL or a file path holding a registry.json"),
  MESH_SYNC_INTERVAL: envVar(
    optionalString.pipe(z.coerce.number<string | undefined>().int().min(60).max(86_400).optional()),
    "",
    "Seconds between automatic syncs (unset: sync on demand only)",
  ),
  MESH_FALLBACK_WEBHOOK_URL: envVar(
    optionalString.superRefine((url, ctx) => {
      const problem = url === undefined ? null : webhookUrlProblem(url);
      if (problem) ctx.addIssue(named(problem));
    }),
    "",
    "HTTP endpoint notified when an agent is unreachable or has no gateway address / token (unset: fallback off)",
  ),
  MESH_BROADCAST_CONCURRENCY: envVar(int(0, 100_000), "0", "Cap on recipients a broadcast sends to at once (0: all at once; sends to one gateway session still go one after another)"),
  MESH_PING_CONCURRENCY: envVar(int(1, 256), "16", "Gateways probed at once"),
  MESH_PING_TIMEOUT_SEC: envVar(int(1, 60), "5", "Per-gateway probe timeout"),
  MESH_PRESENCE_INTERVAL_SECONDS: envVar(
    int(0, 86_400),
    "60",
    "Seconds between automatic presence checks of every teammate (each run jittered by up to ±10 %; 0: off). Gateways that refused the credentials are skipped until they change",
  ),
  MESH_CONFIRM_TTL_SEC: envVar(int(10, 86_400), "600", "How long a broadcast confirmation stays valid"),
  MESH_SCHEDULE_TICK_MS: envVar(int(100, 600_000), "15000", "How often the scheduler looks for due scheduled broadcasts (ms)"),
  MESH_SHUTDOWN_GRACE_SEC: envVar(int(0, 600), "20", "On SIGTERM, how long in-flight sends may finish before they are marked interrupted"),
  MESH_HEADER_TIMEOUT_SEC: envVar(int(1, 300), "20", "Time a client has to send a request's headers before the connection is closed (408)"),
  MESH_REQUEST_TIMEOUT_SEC: envVar(int(1, 3600), "120", "Time a client has to send a whole request, body included (a send waiting for its reply is not cut by it)"),
  MESH_KEEPALIVE_TIMEOUT_SEC: envVar(int(1, 600), "5", "How long an idle keep-alive connection stays open"),
  MESH_MAX_CONNECTIONS_PER_IP: envVar(int(1, 100_000), "256", "Open connections one remote address may hold (behind a proxy, the proxy is one address)"),
  MESH_LOG_LEVEL: envVar(z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]), "info", "Log level"),
  MESH_LOG_PRETTY: envVar(optionalString.pipe(bool.optional()), "", "Pretty logs (default: when stdout is a terminal)"),
  MESH_METRICS_TOKEN: envVar(optionalString, "", "Bearer token for /metrics (unset: /metrics needs an admin session or key)"),
  MESH_TRUST_PROXY: envVar(optionalString.pipe(bool.optional()), "", "Trust X-Forwarded-* headers (behind a TLS reverse proxy)"),
  MESH_SECURE_COOKIES: envVar(optionalString.pipe(bool.optional()), "", "Mark the session cookie Secure (default: on when MESH_TRUST_PROXY is on)"),
  MESH_MCP_ALLOWED_HOSTS: envVar(
    optionalString,
    "",
    "Host names the MCP endpoint /mcp answers, comma-separated (default: localhost, 127.0.0.1, [::1] and MESH_HOST); a browser Origin must name one too",
  ),
  MESH_RATE_SENDER_MAX: envVar(int(0, 1_000_000), "60", "Messages one sender (user or API key) may send per rate window (0: no limit)"),
  MESH_RATE_RECIPIENT_MAX: envVar(int(0, 1_000_000), "30", "Messages one teammate may receive per rate window, a broadcast counting once per recipient (0: no limit)"),
  MESH_RATE_WINDOW_SEC: envVar(int(1, 86_400), "60", "Length of the rate-limit window in seconds (counters live in the database, shared by every process on it)"),
});

/** The environment → Config: each variable, the checks across variables, then the derived values. */
export const ConfigSchema = EnvSchema.check(
  z.superRefine(
    (env, ctx) => {
      const soft = env.MESH_MSG_SOFT_LIMIT;
      const hard = env.MESH_MSG_HARD_LIMIT;
      if (soft > hard) ctx.addIssue({ ...named(`MESH_MSG_SOFT_LIMIT (${soft}) must not exceed MESH_MSG_HARD_LIMIT (${hard})`), path: ["MESH_MSG_SOFT_LIMIT"] });
    },
    // also next to other variables' problems (every bad variable in one error), once both limits parsed
    { when: ({ issues }) => !issues.some((i) => i.path?.[0] === "MESH_MSG_SOFT_LIMIT" || i.path?.[0] === "MESH_MSG_HARD_LIMIT") },
  ),
).transform((env) => {
  const dataDir = resolve(env.MESH_DATA_DIR);
  const dbFile = env.MESH_DB_FILE ?? "team-mesh.db";
  const trustProxy = env.MESH_TRUST_PROXY ?? false;
  return {
    host: env.MESH_HOST,
    port: env.MESH_PORT,
    dataDir,
    dbFile: isAbsolute(dbFile) ? dbFile : resolve(dataDir, dbFile),
    vaultKey: env.MESH_VAULT_KEY,
    adminPassword: env.MESH_ADMIN_PASSWORD,
    myHandle: env.MESH_MY_EMAIL?.split("@")[0]?.toLowerCase(),
    emailDomain: env.MESH_EMAIL_DOMAIN,
    msgSoftLimit: env.MESH_MSG_SOFT_LIMIT,
    msgHardLimit: env.MESH_MSG_HARD_LIMIT,
    replyMaxBytes: env.MESH_REPLY_MAX_BYTES,
    registryUrl: env.MESH_REGISTRY_URL,
    syncIntervalSec: env.MESH_SYNC_INTERVAL,
    fallbackWebhookUrl: env.MESH_FALLBACK_WEBHOOK_URL,
    broadcastConcurrency: env.MESH_BROADCAST_CONCURRENCY,
    pingConcurrency: env.MESH_PING_CONCURRENCY,
    pingTimeoutSec: env.MESH_PING_TIMEOUT_SEC,
    presenceIntervalSec: env.MESH_PRESENCE_INTERVAL_SECONDS,
    confirmTtlSec: env.MESH_CONFIRM_TTL_SEC,
    scheduleTickMs: env.MESH_SCHEDULE_TICK_MS,
    shutdownGraceSec: env.MESH_SHUTDOWN_GRACE_SEC,
    headerTimeoutSec: env.MESH_HEADER_TIMEOUT_SEC,
    requestTimeoutSec: env.MESH_REQUEST_TIMEOUT_SEC,
    keepAliveTimeoutSec: env.MESH_KEEPALIVE_TIMEOUT_SEC,
    maxConnectionsPerIp: env.MESH_MAX_CONNECTIONS_PER_IP,
    logLevel: env.MESH_LOG_LEVEL,
    logPretty: env.MESH_LOG_PRETTY ?? Boolean(process.stdout.isTTY),
    metricsToken: env.MESH_METRICS_TOKEN,
    trustProxy,
    secureCookies: env.MESH_SECURE_COOKIES ?? trustProxy,
    mcpAllowedHosts: mcpHosts(env.MESH_MCP_ALLOWED_HOSTS, env.MESH_HOST),
    rateSenderMax: env.MESH_RATE_SENDER_MAX,
    rateRecipientMax: env.MESH_RATE_RECIPIENT_MAX,
    rateWindowSec: env.MESH_RATE_WINDOW_SEC,
  };
});

export type Config = z.output<typeof ConfigSchema>;

export type EnvName = keyof typeof EnvSchema.shape;

/** The documented variables: name → [schema, default, meaning], read off ConfigSchema. README's table mirrors this. */
export const ENV_SPEC = Object.fromEntries(
  Object.entries(EnvSchema.shape).map(([name, schema]): [string, readonly [z.ZodType, string, string]] => {
    const meta = schema.meta() as { default: string; description: string };
    return [name, [schema, meta.default, meta.description]];
  }),
) as { readonly [K in EnvName]: readonly [z.ZodType, string, string] };

/** Values never echoed in an error message (webhook and registry URLs often carry a secret). */
const SECRET_VARS = new Set<string>(["MESH_VAULT_KEY", "MESH_ADMIN_PASSWORD", "MESH_METRICS_TOKEN", "MESH_FALLBACK_WEBHOOK_URL", "MESH_REGISTRY_URL"]);

export class ConfigError extends Error {}

/** One line per bad variable (`NAME="value": why; why`), a named issue on a line of its own. */
function problemsOf(issues: z.core.$ZodIssue[], env: NodeJS.ProcessEnv): string[] {
  const plain = new Map<string, string[]>();
  const lines: (string | { name: string })[] = [];
  for (const issue of issues) {
    if (issue.code === "custom" && (issue.params as { named?: boolean } | undefined)?.named) {
      lines.push(issue.message);
      continue;
    }
    const name = String(issue.path[0]);
    if (!plain.has(name)) {
      plain.set(name, []);
      lines.push({ name });
    }
    plain.get(name)?.push(issue.message);
  }
  return lines.map((l) => {
    if (typeof l === "string") return l;
    const shown = SECRET_VARS.has(l.name) ? "(hidden)" : JSON.stringify(env[l.name]);
    return `${l.name}=${shown}: ${(plain.get(l.name) ?? []).join("; ")}`;
  });
}

/** Reads the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid configuration:\n  ${problemsOf(parsed.error.issues, env).join("\n  ")}`);
  return parsed.data;
}
