// Starts REAL OpenClaw gateways for the interop tests.
//
//   const model = await startFakeModelServer();
//   const gw = await startOpenClawGateway({ modelBaseUrl: model.baseUrl });
//   gw.url / gw.port / gw.token / gw.home
//   await gw.cli(["devices", "list"]);   // the gateway's own CLI, pointed at this gateway
//   await gw.stop();                      // SIGTERM, then SIGKILL; removes its temp HOME
//
// openclaw and Node 24 live in a cache outside the repo ($TEAM_MESH_CACHE or ~/.cache/team-mesh):
// `ensureOpenClaw()` reuses them when present and installs them with npm when missing (CI runs on
// a clean machine), under a lock so two test files never install at once. One directory per
// version (openclaw-<version>), so the CI matrix (OPENCLAW_VERSION=…) installs each line once.
//
// A gateway can run inside a network namespace (`netns`, see netns.ts): it then binds "lan" and
// the readiness check runs inside that namespace too.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export { OPENCLAW_RELEASE_LINES, NEWEST_OPENCLAW } from "./openclaw-release-lines.ts";
import { resolveOpenClawVersion } from "./openclaw-release-lines.ts";

/** The OpenClaw release the interop suite runs against: $OPENCLAW_VERSION, default the newest line. */
export const OPENCLAW_VERSION = resolveOpenClawVersion(process.env.OPENCLAW_VERSION);
export const NODE24_VERSION = "24.21.0";
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function cacheDir(): string {
  return process.env.TEAM_MESH_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "team-mesh");
}

function nodeVersionOk(version: string): boolean {
  const [a = 0, b = 0] = version.replace(/^v/, "").split(".").map(Number);
  return a > 24 || (a === 24 && b >= 16);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A lock directory (mkdir is atomic); stale locks (owner gone or > 15 min old) are broken. */
async function withLock<T>(lockPath: string, fn: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockPath);
      writeFileSync(path.join(lockPath, "pid"), String(process.pid));
      break;
    } catch {
      let stale = false;
      try {
        const pid = Number(readFileSync(path.join(lockPath, "pid"), "utf8"));
        try {
          if (pid) process.kill(pid, 0);
        } catch {
          stale = true;
        }
        if (Date.now() - statSync(lockPath).mtimeMs > 15 * 60_000) stale = true;
      } catch {
        // pid file not written yet: the owner is just starting
      }
      if (stale) rmSync(lockPath, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockPath}`);
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { recursive: true, force: true });
  }
}

function npmInstall(dir: string, spec: string, nodeBinDir: string | null): void {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path.join(dir, "package.json"))) writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "team-mesh-cache", private: true }));
  const env = { ...process.env };
  if (nodeBinDir) env.PATH = `${nodeBinDir}${path.delimiter}${env.PATH ?? ""}`;
  const log = openSync(path.join(dir, "install.log"), "a");
  try {
    const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--save-exact", spec], { cwd: dir, env, stdio: ["ignore", log, log], timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`npm install ${spec} failed in ${dir} (exit ${r.status ?? r.signal}); see ${path.join(dir, "install.log")}`);
  } finally {
    closeSync(log);
  }
}

export interface OpenClawInstall {
  /** Node >= 24.16 binary that runs openclaw. */
  node: string;
  /** Path of openclaw.mjs. */
  entry: string;
}

let installPromise: Promise<OpenClawInstall> | null = null;

/** Node 24 and openclaw@OPENCLAW_VERSION in the cache, installed on first use. */
export function ensureOpenClaw(): Promise<OpenClawInstall> {
  installPromise ??= (async () => {
    const cache = cacheDir();
    mkdirSync(cache, { recursive: true });
    let node = process.execPath;
    if (!nodeVersionOk(process.version)) {
      const dir = path.join(cache, "node24");
      node = path.join(dir, "node_modules/node/bin/node");
      if (!existsSync(node)) await withLock(path.join(cache, "node24.lock"), () => existsSync(node) || npmInstall(dir, `node@${NODE24_VERSION}`, null));
    }
    const dir = path.join(cache, `openclaw-${OPENCLAW_VERSION}`);
    const entry = path.join(dir, "node_modules/openclaw/openclaw.mjs");
    const installed = () => {
      try {
        return existsSync(entry) && JSON.parse(readFileSync(path.join(dir, "node_modules/openclaw/package.json"), "utf8")).version === OPENCLAW_VERSION;
      } catch {
        return false;
      }
    };
    if (!installed()) {
      await withLock(path.join(cache, `openclaw-${OPENCLAW_VERSION}.lock`), () => {
        if (!installed()) npmInstall(dir, `openclaw@${OPENCLAW_VERSION}`, path.dirname(node));
      });
    }
    return { node, entry };
  })();
  installPromise.catch(() => (installPromise = null));
  return installPromise;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartGatewayOptions {
  /** OpenAI-compatible base URL of the fake model server, e.g. http://127.0.0.1:1234/v1 */
  modelBaseUrl: string;
  token?: string;
  port?: number;
  /** Run inside this network namespace and bind "lan". */
  netns?: string;
  /** Host that clients use in the returned url (default 127.0.0.1). */
  advertiseHost?: string;
  readyTimeoutMs?: number;
  /** Extra top-level config keys (shallow-merged). */
  extraConfig?: Record<string, unknown>;
  /** More agents besides "main" (agents.entries, keyed by id), each with an optional identity. */
  extraAgents?: { id: string; name?: string; emoji?: string }[];
}

export interface RunningGateway {
  url: string;
  port: number;
  token: string;
  home: string;
  pid: number;
  /** Milliseconds from spawn until ready. */
  startupMs: number;
  /**
   * Runs `openclaw <args> --url ws://127.0.0.1:<port> --token <token>` with this gateway's HOME.
   * `local: true` leaves out --url/--token, as an operator on the gateway's machine types it: the
   * CLI finds the gateway (port, token) in its config, and commands like `devices approve` may then
   * use their local-pairing fallback (2026.6 needs it, see gateway-pairing.test.ts).
   */
  cli(args: string[], opts?: { timeoutMs?: number; local?: boolean }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** agents.entries for "main" plus the extra agents (each its own workspace under the gateway's HOME). */
/** Releases before 2026.8 know neither `models.catalogRefresh` nor `agents.entries` (they list agents in `agents.list`). */
export const LEGACY_CONFIG = OPENCLAW_VERSION.localeCompare("2026.8.0", "en", { numeric: true }) < 0;

function agentEntries(extra: NonNullable<StartGatewayOptions["extraAgents"]>): Record<string, unknown> {
  const entry = (a: { id: string; name?: string; emoji?: string }) => ({
    workspace: `~/.openclaw/workspace-${a.id}`,
    ...(a.name || a.emoji ? { identity: { ...(a.name ? { name: a.name } : {}), ...(a.emoji ? { emoji: a.emoji } : {}) } } : {}),
  });
  const all = [{ id: "main" }, ...extra];
  if (LEGACY_CONFIG) return { list: all.map((a) => ({ id: a.id, ...entry(a) })) };
  // 2026.8 and later refuse a roster of several agents unless ownership is explicit
  return { ownership: "explicit", entries: Object.fromEntries(all.map((a) => [a.id, entry(a)])) };
}

function buildConfig(o: { port: number; token: string; bind: string; modelBaseUrl: string; logFile: string; extra?: Record<string, unknown>; extraAgents?: StartGatewayOptions["extraAgents"] }) {
  return {
    gateway: { mode: "local", port: o.port, bind: o.bind, auth: { mode: "token", token: o.token } },
    update: { checkOnStart: false },
    discovery: { mdns: { mode: "off" } },
    logging: { file: o.logFile },
    models: {
      mode: "merge",
      ...(LEGACY_CONFIG ? {} : { catalogRefresh: { enabled: false } }),
      providers: {
        fake: {
          baseUrl: o.modelBaseUrl,
          apiKey: "x",
          api: "openai-completions",
          timeoutSeconds: 120,
          models: [
            {
              id: "echo-1",
              name: "Echo 1",
              reasoning: false,
              input: ["text"],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 128000,
              maxTokens: 4096,
            },
          ],
        },
      },
    },
    agents: { defaults: { model: { primary: "fake/echo-1" } }, ...(o.extraAgents?.length ? agentEntries(o.extraAgents) : {}) },
    ...o.extra,
  };
}

function gatewayEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "LANG", "TZ", "TERM"]) if (process.env[k]) env[k] = process.env[k];
  return {
    ...env,
    HOME: home,
    OPENCLAW_NO_UPDATE: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_NO_RESPAWN: "1",
    OPENCLAW_SKIP_CHANNELS: "1",
  };
}

function netnsWrap(netns: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return netns ? ["ip", ["netns", "exec", netns, cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function stopChild(child: ChildProcess, graceMs = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const pid = child.pid;
  // the gateway runs in its own process group (detached); signal the whole group so helpers go too
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (pid) process.kill(-pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
  };
  kill("SIGTERM");
  const t = setTimeout(() => kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
  kill("SIGKILL"); // leftovers in the group, if any
}

export async function startOpenClawGateway(opts: StartGatewayOptions): Promise<RunningGateway> {
  const { node, entry } = await ensureOpenClaw();
  const token = opts.token ?? `tm-test-${randomBytes(12).toString("hex")}`;
  const port = opts.port ?? (await freePort());
  const home = mkdtempSync(path.join(tmpdir(), "tm-openclaw-"));
  const logFile = path.join(home, "openclaw.log");
  const bind = opts.netns ? "lan" : "loopback";
  mkdirSync(path.join(home, ".openclaw"), { recursive: true });
  writeFileSync(
    path.join(home, ".openclaw", "openclaw.json"),
    JSON.stringify(buildConfig({ port, token, bind, modelBaseUrl: opts.modelBaseUrl, logFile, extra: opts.extraConfig, extraAgents: opts.extraAgents }), null, 2),
  );
  const env = { ...gatewayEnv(home), OPENCLAW_GATEWAY_TOKEN: token };
  const outPath = path.join(home, "stdout.log");
  const out = openSync(outPath, "a");
  const [cmd, args] = netnsWrap(opts.netns, node, [entry, "gateway", "run", "--auth", "token", "--port", String(port), "--bind", bind]);
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: home, env, stdio: ["ignore", out, out], detached: true });
  closeSync(out);
  let exitInfo: string | null = null;
  child.once("exit", (code, signal) => (exitInfo = `exit ${code ?? signal}`));

  const logTail = (lines = 40) => {
    let text = "";
    for (const f of [outPath, logFile]) {
      try {
        text += `--- ${path.basename(f)}\n${readFileSync(f, "utf8").split("\n").slice(-lines).join("\n")}\n`;
      } catch {
        // not written yet
      }
    }
    return text;
  };
  const cleanup = async () => {
    await stopChild(child);
    rmSync(home, { recursive: true, force: true });
  };

  const host = opts.advertiseHost ?? "127.0.0.1";
  const url = `ws://${host}:${port}`;
  try {
    const deadline = started + (opts.readyTimeoutMs ?? 120_000);
    const readyScript = path.join(REPO_ROOT, "test/support/gateway-ready.ts");
    const [rcmd, rargs] = netnsWrap(opts.netns, node, [readyScript, `ws://127.0.0.1:${port}`, String(deadline)]);
    const ready = run(rcmd, rargs, { env: { PATH: process.env.PATH ?? "", TM_READY_TOKEN: token }, cwd: REPO_ROOT, timeoutMs: deadline - Date.now() + 5000 });
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", () => reject(new Error(`openclaw gateway exited before it was ready (${exitInfo})\n${logTail()}`))),
    );
    const r = await Promise.race([ready, exited]);
    if (r.code !== 0) throw new Error(`openclaw gateway not ready: ${r.stdout}${r.stderr}\n${logTail()}`);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const startupMs = Date.now() - started;

  return {
    url,
    port,
    token,
    home,
    pid: child.pid ?? -1,
    startupMs,
    cli(cliArgs, o) {
      const target = o?.local ? [] : ["--url", `ws://127.0.0.1:${port}`, "--token", token];
      const [c, a] = netnsWrap(opts.netns, node, [entry, ...cliArgs, ...target]);
      return run(c, a, { cwd: home, env: gatewayEnv(home), timeoutMs: o?.timeoutMs ?? 60_000 });
    },
    logTail,
    stop: cleanup,
  };
}
