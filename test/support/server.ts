// Starts the real server on 127.0.0.1:0 with a temp data dir, for integration and e2e tests.
//
//   const srv = await startTestServer();                 // in this process (fast)
//   const srv = await startTestServer({ child: true });  // `node server/main.ts` as a child process
//   const admin = await srv.adminKey();                  // an API key with role admin
//   const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "hi" }, { key: admin });
//   const t = await bodyOf(await srv.client({ key: admin }).teammates.$get()); // typed (hc<AppType>)
//   srv.output()                                         // everything the server logged so far
//   await srv.kill("SIGKILL"); await srv.restart();      // child only: crash and start again
//   await srv.stop();                                    // graceful stop, removes the temp dir
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../server/config.ts";
import { createLogger } from "../../server/logger.ts";
import { startServer, type RunningServer, type StartOptions } from "../../server/main.ts";
import { createApiClient, type ApiClient } from "../../shared/api/client.ts";
import { bodyOf, createApiFetch } from "../../shared/api/fetch.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ADMIN_PASSWORD = "admin-password-for-tests-0";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked by assertions
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface ApiOptions {
  key?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  /** In-process only: the running server's services. */
  running: RunningServer | null;
  child: ChildProcess | null;
  output(): string;
  /**
   * Any request, answered whatever its status (for tests of refusals and malformed input): the
   * shared fetch wrapper without throwing, CSRF header only with a cookie.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api<T = any>(method: string, path: string, body?: unknown, opts?: ApiOptions): Promise<ApiResponse<T>>;
  /** The typed client of REST API v1 (hc<AppType>, shared fetch wrapper; error answers throw ApiError). */
  client(opts?: ApiOptions): ApiClient;
  /** Signs in as admin (password login), returns the session cookie header value. */
  login(username?: string, password?: string): Promise<string>;
  /** Creates (once per role) and returns an API key. */
  keyFor(role: "admin" | "operator" | "requester" | "auditor"): Promise<string>;
  adminKey(): Promise<string>;
  /** Creates a teammate through the API (admin key). */
  addTeammate(t: { handle: string; name?: string; displayName?: string | null; gatewayUrl?: string | null; token?: string; tags?: string[] }): Promise<void>;
  /** Child only: send a signal; resolves with the exit code/signal. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Child only: start again on the same data dir (new port). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  child?: boolean;
  /** Child only: the script to run (default server/main.ts; the compiled build/server/main.js). */
  childEntry?: string;
  env?: Record<string, string>;
  dataDir?: string;
  startOptions?: StartOptions;
}

class Capture extends Writable {
  chunks: string[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "team-mesh-test-"));
  const env: Record<string, string> = {
    MESH_HOST: "127.0.0.1",
    MESH_PORT: "0",
    MESH_DATA_DIR: dataDir,
    MESH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MESH_LOG_LEVEL: "info",
    MESH_LOG_PRETTY: "0",
    // no background presence sweep unless a test asks for one (its probes would race the test's own)
    MESH_PRESENCE_INTERVAL_SECONDS: "0",
    // send rate limits off unless a test sets them (suites send far more than 30 a minute to one teammate)
    MESH_RATE_SENDER_MAX: "0",
    MESH_RATE_RECIPIENT_MAX: "0",
    ...opts.env,
  };
  const captured: string[] = [];
  let running: RunningServer | null = null;
  let child: ChildProcess | null = null;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  let url = "";
  let port = 0;
  const keys = new Map<string, string>();
  const credentials = (o: ApiOptions): Record<string, string> => ({
    ...o.headers,
    ...(o.key ? { Authorization: `Bearer ${o.key}` } : {}),
    ...(o.cookie ? { Cookie: o.cookie } : {}),
  });

  async function launch(): Promise<void> {
    if (!opts.child) {
      const config = loadConfig(env);
      const sink = new Capture();
      sink.chunks = captured;
      const logger = createLogger(config, sink);
      running = await startServer(config, { notice: (line) => captured.push(`${line}\n`), ...opts.startOptions, logger });
      url = running.url;
      port = running.port;
      return;
    }
    const proc = spawn(process.execPath, [opts.childEntry ?? "server/main.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    exited = new Promise((r) => proc.once("exit", (code, signal) => r({ code, signal })));
    await new Promise<void>((resolveStart, reject) => {
      let buffer = "";
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${captured.join("")}`)), 30_000);
      proc.stderr?.on("data", (d: Buffer) => captured.push(d.toString()));
      proc.stdout?.on("data", (d: Buffer) => {
        const text = d.toString();
        captured.push(text);
        buffer += text;
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          try {
            const rec = JSON.parse(line) as { msg?: string; port?: number; url?: string };
            if (rec.msg === "listening" && rec.port) {
              port = rec.port;
              url = rec.url ?? `http://127.0.0.1:${rec.port}`;
              clearTimeout(timer);
              resolveStart();
            }
          } catch {
            /* not JSON */
          }
        }
      });
      void exited?.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before listening:\n${captured.join("")}`));
      });
    });
  }

  await launch();

  const srv: TestServer = {
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    dataDir,
    env,
    get running() {
      return running;
    },
    get child() {
      return child;
    },
    output: () => captured.join(""),
    async api(method, path, body, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (body !== undefined) headers["Content-Type"] ??= "application/json";
      if (o.key) headers.Authorization = `Bearer ${o.key}`;
      if (o.cookie) {
        headers.Cookie = o.cookie;
        headers["X-Requested-With"] = "team-mesh";
      }
      const send = createApiFetch({ csrf: false, timeoutMs: null, throwOnError: false });
      const res = await send(url + path, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as never, headers: res.headers, text };
    },
    client(o = {}) {
      return createApiClient(url, createApiFetch({ headers: credentials(o), csrf: Boolean(o.cookie), timeoutMs: null }));
    },
    async login(username = "admin", password = ADMIN_PASSWORD) {
      const res = await srv.client().auth.login.$post({ json: { username, password } });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith("mesh_session="));
      if (!cookie) throw new Error("login: no mesh_session cookie");
      return cookie.split(";")[0] as string;
    },
    async keyFor(role) {
      const have = keys.get(role);
      if (have) return have;
      const cookie = await srv.login();
      const { key } = await bodyOf(await srv.client({ cookie })["api-keys"].$post({ json: { name: `test-${role}-${keys.size}`, role } }));
      keys.set(role, key);
      return key;
    },
    adminKey: () => srv.keyFor("admin"),
    async addTeammate(t) {
      const json = { name: t.handle, ...t };
      await srv.client({ key: await srv.adminKey() }).teammates.$post({ json });
    },
    async kill(signal) {
      if (!child || !exited) throw new Error("kill: only for child servers");
      child.kill(signal);
      return exited;
    },
    async restart() {
      if (!opts.child) throw new Error("restart: only for child servers");
      if (child && child.exitCode === null && child.signalCode === null) await srv.kill("SIGKILL");
      await launch();
    },
    async stop() {
      try {
        if (running) await running.shutdown("test stop");
        else if (child && child.exitCode === null && child.signalCode === null) {
          const t = setTimeout(() => child?.kill("SIGKILL"), 15_000);
          await srv.kill("SIGTERM");
          clearTimeout(t);
        }
      } finally {
        if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return srv;
}

// ---- helpers for tests that use the server ----------------------------------------------

export interface WebhookSink {
  url: string;
  received: Record<string, unknown>[];
  /** Status to answer with (default 204). */
  status: number;
  stop(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const sink: WebhookSink = { url: "", received: [], status: 204, stop: async () => undefined };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      try {
        sink.received.push(JSON.parse(body) as Record<string, unknown>);
      } catch {
        sink.received.push({ invalid: body });
      }
      res.statusCode = sink.status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?secret=webhook-secret-xyz`;
  sink.stop = () => new Promise((r) => server.close(() => r()));
  return sink;
}

export async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`until: condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, stepMs));
    last = await fn();
  }
  return last;
}
