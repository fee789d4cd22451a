// Environment → typed, validated configuration. Every MESH_ variable and its default lives here.
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

/** The documented variables: name → [schema, default, meaning]. README's table mirrors this. */
export const ENV_SPEC = {
  MESH_HOST: [z.string().min(1), "127.0.0.1", "Address the HTTP server binds to"],
  MESH_PORT: [int(0, 65535), "8790", "HTTP port (0 picks a free one)"],
  MESH_DATA_DIR: [z.string().min(1), "./data", "Folder for the SQLite file, the generated vault key and backups"],
  MESH_DB_FILE: [optionalString, "", "SQLite file (default $MESH_DATA_DIR/team-mesh.db)"],
  MESH_VAULT_KEY: [optionalString, "", "Vault master key, base64 of 32 bytes (default: a key file generated in the data dir, mode 0600)"],
  MESH_ADMIN_PASSWORD: [optionalString, "", "Password of the first admin account (user 'admin') on first start; without it a one-time setup code is printed"],
  MESH_MY_EMAIL: [optionalString, "", "This dashboard's own agent, as handle@domain or handle: broadcasts never go to it"],
  MESH_EMAIL_DOMAIN: [optionalString, "", "Domain appended to handles for the fallback webhook's email field"],
  MESH_MSG_SOFT_LIMIT: [int(1, 1_048_576), String(MESSAGE_SOFT_LIMIT_DEFAULT), "Message size (UTF-8 bytes) above which a send warns"],
  MESH_MSG_HARD_LIMIT: [int(1, 1_048_576), String(MESSAGE_HARD_LIMIT_DEFAULT), "Message size (UTF-8 bytes) above which a send is refused (413)"],
  MESH_REPLY_MAX_BYTES: [int(1024, 16_777_216), "262144", "Largest reply (UTF-8 bytes) kept from a gateway; a longer one keeps its first part"],
  MESH_REGISTRY_URL: [optionalString, "", "Registry source for sync: an https URL or a file path holding a registry.json"],
  MESH_SYNC_INTERVAL: [optionalString.pipe(z.coerce.number<string | undefined>().int().min(60).max(86_400).optional()), "", "Seconds between automatic syncs (unset: sync on demand only)"],
  MESH_FALLBACK_WEBHOOK_URL: [optionalString, "", "HTTP endpoint notified when an agent is unreachable or has no gateway address / token (unset: fallback off)"],
  MESH_BROADCAST_CONCURRENCY: [int(0, 100_000), "0", "Cap on recipients a broadcast sends to at once (0: all at once; sends to one gateway session still go one after another)"],
  MESH_PING_CONCURRENCY: [int(1, 256), "16", "Gateways probed at once"],
  MESH_PING_TIMEOUT_SEC: [int(1, 60), "5", "Per-gateway probe timeout"],
  MESH_CONFIRM_TTL_SEC: [int(10, 86_400), "600", "How long a broadcast confirmation stays valid"],
  MESH_SHUTDOWN_GRACE_SEC: [int(0, 600), "20", "On SIGTERM, how long in-flight sends may finish before they are marked interrupted"],
  MESH_HEADER_TIMEOUT_SEC: [int(1, 300), "20", "Time a client has to send a request's headers before the connection is closed (408)"],
  MESH_REQUEST_TIMEOUT_SEC: [int(1, 3600), "120", "Time a client has to send a whole request, body included (a send waiting for its reply is not cut by it)"],
  MESH_KEEPALIVE_TIMEOUT_SEC: [int(1, 600), "5", "How long an idle keep-alive connection stays open"],
  MESH_MAX_CONNECTIONS_PER_IP: [int(1, 100_000), "256", "Open connections one remote address may hold (behind a proxy, the proxy is one address)"],
  MESH_LOG_LEVEL: [z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]), "info", "Log level"],
  MESH_LOG_PRETTY: [optionalString.pipe(bool.optional()), "", "Pretty logs (default: when stdout is a terminal)"],
  MESH_METRICS_TOKEN: [optionalString, "", "Bearer token for /metrics (unset: /metrics needs an admin session or key)"],
  MESH_TRUST_PROXY: [optionalString.pipe(bool.optional()), "", "Trust X-Forwarded-* headers (behind a TLS reverse proxy)"],
  MESH_SECURE_COOKIES: [optionalString.pipe(bool.optional()), "", "Mark the session cookie Secure (default: on when MESH_TRUST_PROXY is on)"],
} as const;

export type EnvName = keyof typeof ENV_SPEC;

/** Values never echoed in an error message (webhook and registry URLs often carry a secret). */
const SECRET_VARS = new Set<string>(["MESH_VAULT_KEY", "MESH_ADMIN_PASSWORD", "MESH_METRICS_TOKEN", "MESH_FALLBACK_WEBHOOK_URL", "MESH_REGISTRY_URL"]);

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

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  dbFile: string;
  vaultKey: string | undefined;
  adminPassword: string | undefined;
  myHandle: string | undefined;
  emailDomain: string | undefined;
  msgSoftLimit: number;
  msgHardLimit: number;
  replyMaxBytes: number;
  registryUrl: string | undefined;
  syncIntervalSec: number | undefined;
  fallbackWebhookUrl: string | undefined;
  broadcastConcurrency: number;
  pingConcurrency: number;
  pingTimeoutSec: number;
  confirmTtlSec: number;
  shutdownGraceSec: number;
  headerTimeoutSec: number;
  requestTimeoutSec: number;
  keepAliveTimeoutSec: number;
  maxConnectionsPerIp: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  logPretty: boolean;
  metricsToken: string | undefined;
  trustProxy: boolean;
  secureCookies: boolean;
}

export class ConfigError extends Error {}

/** Reads the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, [schema, def]] of Object.entries(ENV_SPEC)) {
    const raw = env[name] ?? def;
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else {
      const shown = SECRET_VARS.has(name) ? "(hidden)" : JSON.stringify(env[name]);
      problems.push(`${name}=${shown}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    }
  }
  const soft = out.MESH_MSG_SOFT_LIMIT as number;
  const hard = out.MESH_MSG_HARD_LIMIT as number;
  if (soft > hard) problems.push(`MESH_MSG_SOFT_LIMIT (${soft}) must not exceed MESH_MSG_HARD_LIMIT (${hard})`);
  const key = out.MESH_VAULT_KEY as string | undefined;
  if (key !== undefined && Buffer.from(key, "base64").length !== 32) {
    problems.push("MESH_VAULT_KEY: must be base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)");
  }
  const webhook = out.MESH_FALLBACK_WEBHOOK_URL as string | undefined;
  const webhookProblem = webhook === undefined ? null : webhookUrlProblem(webhook);
  if (webhookProblem) problems.push(webhookProblem);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);

  const dataDir = resolve(out.MESH_DATA_DIR as string);
  const dbFile = (out.MESH_DB_FILE as string | undefined) ?? "team-mesh.db";
  const myEmail = out.MESH_MY_EMAIL as string | undefined;
  const trustProxy = (out.MESH_TRUST_PROXY as boolean | undefined) ?? false;
  return {
    host: out.MESH_HOST as string,
    port: out.MESH_PORT as number,
    dataDir,
    dbFile: isAbsolute(dbFile) ? dbFile : resolve(dataDir, dbFile),
    vaultKey: key,
    adminPassword: out.MESH_ADMIN_PASSWORD as string | undefined,
    myHandle: myEmail?.split("@")[0]?.toLowerCase(),
    emailDomain: out.MESH_EMAIL_DOMAIN as string | undefined,
    msgSoftLimit: soft,
    msgHardLimit: hard,
    replyMaxBytes: out.MESH_REPLY_MAX_BYTES as number,
    registryUrl: out.MESH_REGISTRY_URL as string | undefined,
    syncIntervalSec: out.MESH_SYNC_INTERVAL as number | undefined,
    fallbackWebhookUrl: out.MESH_FALLBACK_WEBHOOK_URL as string | undefined,
    broadcastConcurrency: out.MESH_BROADCAST_CONCURRENCY as number,
    pingConcurrency: out.MESH_PING_CONCURRENCY as number,
    pingTimeoutSec: out.MESH_PING_TIMEOUT_SEC as number,
    confirmTtlSec: out.MESH_CONFIRM_TTL_SEC as number,
    shutdownGraceSec: out.MESH_SHUTDOWN_GRACE_SEC as number,
    headerTimeoutSec: out.MESH_HEADER_TIMEOUT_SEC as number,
    requestTimeoutSec: out.MESH_REQUEST_TIMEOUT_SEC as number,
    keepAliveTimeoutSec: out.MESH_KEEPALIVE_TIMEOUT_SEC as number,
    maxConnectionsPerIp: out.MESH_MAX_CONNECTIONS_PER_IP as number,
    logLevel: out.MESH_LOG_LEVEL as Config["logLevel"],
    logPretty: (out.MESH_LOG_PRETTY as boolean | undefined) ?? Boolean(process.stdout.isTTY),
    metricsToken: out.MESH_METRICS_TOKEN as string | undefined,
    trustProxy,
    secureCookies: (out.MESH_SECURE_COOKIES as boolean | undefined) ?? trustProxy,
  };
}
