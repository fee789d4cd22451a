// A stand-in for the Team Mesh REST API, for the CLI's unit tests: canned answers per route,
// every request recorded.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CliIO } from "../../cli/io.ts";

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON as the CLI sent it
}
export type Handler = (req: Recorded) => { status: number; body?: unknown; raw?: string } | Promise<{ status: number; body?: unknown; raw?: string }>;

export interface FakeApi {
  url: string;
  requests: Recorded[];
  on(method: string, path: string, handler: Handler | { status: number; body?: unknown; raw?: string }): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeApi(): Promise<FakeApi> {
  const routes = new Map<string, Handler>();
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const rec: Recorded = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: text ? JSON.parse(text) : undefined };
      requests.push(rec);
      const handler = routes.get(`${rec.method} ${rec.path}`) ?? routes.get(`${rec.method} ${rec.path.split("?")[0]}`);
      const answer = handler ? await handler(rec) : { status: 404, body: { error: { code: "NOT_FOUND", message: `No route for ${rec.method} ${rec.path}` } } };
      res.statusCode = answer.status;
      if (answer.raw !== undefined) return res.end(answer.raw);
      res.setHeader("content-type", "application/json");
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on(method, path, handler) {
      routes.set(`${method} ${path}`, typeof handler === "function" ? handler : () => handler);
    },
    reset() {
      routes.clear();
      requests.length = 0;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * One stand-in API for the calling file or describe block: started before its tests and handed
 * over with the CLI environment that points at it (API key `key`), reset before each test,
 * closed after.
 */
export function useFakeApi(key: string, started: (api: FakeApi, env: Record<string, string>) => void): void {
  let api: FakeApi;
  beforeAll(async () => {
    api = await startFakeApi();
    started(api, { MESH_URL: api.url, MESH_API_KEY: key });
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());
}

export interface TestIO extends CliIO {
  out: string[];
  err: string[];
  prompts: string[];
  stdoutText(): string;
  stderrText(): string;
}

export function testIO(opts: { env?: Record<string, string>; stdin?: string; isTTY?: boolean; answers?: string[] } = {}): TestIO {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const answers = [...(opts.answers ?? [])];
  return {
    out,
    err,
    prompts,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => opts.stdin ?? "",
    isTTY: opts.isTTY ?? false,
    prompt: async (q) => {
      prompts.push(q);
      return answers.shift() ?? "";
    },
    env: opts.env ?? {},
    now: () => new Date("2030-01-01T12:00:00.000Z"),
    stdoutText: () => out.join("\n"),
    stderrText: () => err.join("\n"),
  };
}

const iso = "2030-01-01T11:59:00.000Z";

export function teammate(handle: string, state = "online", extra: Record<string, unknown> = {}) {
  return {
    handle,
    name: handle[0]?.toUpperCase() + handle.slice(1),
    displayName: null,
    note: null,
    tags: [],
    gatewayUrl: `ws://10.0.0.1:18789`,
    agentId: "main",
    agentEmoji: null,
    hostname: null,
    tlsFingerprint: null,
    isMe: false,
    credential: { set: true, setAt: iso, lastUsedAt: null },
    device: { paired: true, pairedAt: iso },
    status: { state, checkedAt: iso, lastSeenAt: state === "online" ? iso : null, latencyMs: 12, version: "2026.9.6", scopes: null, error: null, pairing: null },
    createdAt: iso,
    updatedAt: iso,
    ...extra,
  };
}

export const actor = { kind: "api_key", name: "ci", role: "operator" };

export function message(status: string, reply: string | null, extra: Record<string, unknown> = {}) {
  return {
    id: "msg_1",
    to: { handle: "alice", name: "Alice", displayName: null },
    gatewayUrl: "ws://10.0.0.1:18789",
    session: "main",
    rounds: 1,
    timeoutSec: 60,
    status,
    exchanges: [
      {
        round: 1,
        message: "hi",
        messageBytes: 2,
        status,
        reply,
        runId: "r1",
        latencyMs: 1500,
        error: status === "replied" ? null : { code: "GATEWAY_TIMEOUT", message: "no reply within 60 s" },
        auditId: 7,
      },
    ],
    warnings: [],
    fallback: null,
    actor,
    createdAt: iso,
    completedAt: iso,
    ...extra,
  };
}

export function broadcast(state: string, extra: Record<string, unknown> = {}) {
  const ref = (h: string) => ({ handle: h, name: h, displayName: null });
  return {
    id: "bc_1",
    state,
    message: "hello all",
    messageBytes: 9,
    sha256: "a".repeat(64),
    session: "main",
    timeoutSec: 60,
    recipients: ["alice", "bob"].map((h) => ({
      ...ref(h),
      status: state === "completed" ? "replied" : "queued",
      reply: state === "completed" ? `ack from ${h}` : null,
      runId: null,
      latencyMs: state === "completed" ? 800 : null,
      error: null,
      attempts: state === "completed" ? 1 : 0,
      updatedAt: iso,
    })),
    skipped: [{ ...ref("me"), reason: "self" }, { ...ref("carol"), reason: "no_credentials" }],
    counts: state === "completed" ? { replied: 2 } : { queued: 2 },
    warnings: [],
    createdBy: actor,
    createdAt: iso,
    expiresAt: iso,
    confirmedBy: null,
    confirmedAt: null,
    completedAt: null,
    fallback: true,
    confirmationToken: null,
    ...extra,
  };
}
