// The only module that talks HTTP to the server (REST API v1). Every call goes through the typed
// client of shared/api/client.ts (hono/client over the server's AppType, imported as a type) with
// the shared fetch wrapper (shared/api/fetch.ts): same-origin cookies, the CSRF header on
// state-changing requests, a timeout, and error bodies ({"error": {"code", "message", "details"}})
// turned into ApiError. Request and response types come from the routes, none is declared here.
import type { InferResponseType } from "hono/client";
import { createApiClient, type ApiClient } from "../../../shared/api/client.ts";
import { ApiError, bodyAt, bodyOf, createApiFetch } from "../../../shared/api/fetch.ts";
import type { Role } from "../../../shared/api/common.ts";
import type { AgentsAdd, ImportRequest, TeammateCreate, TeammateUpdate } from "../../../shared/api/teammates.ts";
import type { SendRequest } from "../../../shared/api/messages.ts";
import type { BroadcastCreate } from "../../../shared/api/broadcasts.ts";
import type { AuditQuery } from "../../../shared/api/audit.ts";
import type { TemplateCreate } from "../../../shared/api/templates.ts";
import type { ScheduleCreate, ScheduleUpdate } from "../../../shared/api/schedules.ts";

export { ApiError, type ClientErrorCode } from "../../../shared/api/fetch.ts";

/** What a failed call threw, as an ApiError (anything else becomes NETWORK_ERROR with its text). */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError("NETWORK_ERROR", String(e), 0);
}

export const API_BASE = "/api/v1";

let unauthenticatedHandler: (() => void) | null = null;
/** Called when a request (other than login/setup/me) answers 401: the session ended. */
export function onUnauthenticated(fn: (() => void) | null): void {
  unauthenticatedHandler = fn;
}
/** The session or key stopped being valid, as seen outside a request (the events socket). */
export function reportUnauthenticated(): void {
  unauthenticatedHandler?.();
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined | string[]>;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Do not report a 401 to the session store (sign-in form, session probe). */
  quiet401?: boolean;
}

/** Query parameters without the empty ones, lists comma-joined (the server's csv fields). */
function queryParams(query: RequestOptions["query"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) {
      if (v.length) out[k] = v.join(",");
    } else out[k] = String(v);
  }
  return out;
}

export function buildQuery(query: RequestOptions["query"]): string {
  const s = new URLSearchParams(queryParams(query)).toString();
  return s ? `?${s}` : "";
}

function newIdempotencyKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** The shared fetch wrapper with this call's timeout, abort signal and 401 reporting. */
function fetchFor(opts: RequestOptions = {}): typeof fetch {
  return createApiFetch({
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onUnauthenticated: () => {
      if (!opts.quiet401) unauthenticatedHandler?.();
    },
  });
}

/** Per-call options for the typed client. */
const o = (opts: RequestOptions = {}) => ({ fetch: fetchFor(opts), ...(opts.headers ? { headers: opts.headers } : {}) });

const v1: ApiClient = createApiClient("/", fetchFor(), { credentials: "same-origin" });

/** An untyped call by method and path under /api/v1, through the same wrapper. */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const res = await fetchFor(opts)(`${API_BASE}${path}${buildQuery(opts.query)}`, { method, headers, body, credentials: "same-origin" });
  return (await bodyOf(res)) as T;
}

type SendPreview = Extract<InferResponseType<ApiClient["messages"]["$post"], 200>, { dryRun: true }>;

export type MeshConfig = InferResponseType<ApiClient["config"]["$get"]>;
export type ApiKeyCreated = InferResponseType<ApiClient["api-keys"]["$post"]>;

const idem = () => ({ "idempotency-key": newIdempotencyKey() });

/** Typed calls, one per route of docs/api-routes.md that the dashboard uses. */
export const api = {
  setupState: async () => bodyOf(await v1.auth.setup.$get({}, o({ quiet401: true }))),
  setup: async (json: { setupCode: string; username: string; password: string }) => bodyOf(await v1.auth.setup.$post({ json }, o({ quiet401: true }))),
  login: async (json: { username: string; password: string }) => bodyOf(await v1.auth.login.$post({ json }, o({ quiet401: true }))),
  logout: async (): Promise<void> => {
    await v1.auth.logout.$post({}, o({ quiet401: true }));
  },
  me: async () => bodyOf(await v1.auth.me.$get({}, o({ quiet401: true }))),
  changePassword: async (json: { currentPassword: string; newPassword: string }) => bodyOf(await v1.auth.password.$post({ json }, o())),
  config: async () => bodyOf(await v1.config.$get({}, o())),

  users: async () => bodyOf(await v1.users.$get({}, o())),
  createUser: async (json: { username: string; role: Role; password?: string }) => bodyOf(await v1.users.$post({ json }, o())),
  updateUser: async (username: string, json: { role?: Role; disabled?: boolean }) => bodyOf(await v1.users[":username"].$patch({ param: { username }, json }, o())),
  resetPassword: async (username: string) => bodyOf(await v1.users[":username"]["reset-password"].$post({ param: { username } }, o())),
  apiKeys: async () => bodyOf(await v1["api-keys"].$get({}, o())),
  createApiKey: async (json: { name: string; role: Role; expiresAt?: string | null }) => bodyOf(await v1["api-keys"].$post({ json }, o())),
  revokeApiKey: async (id: string): Promise<void> => {
    await v1["api-keys"][":id"].$delete({ param: { id } }, o());
  },

  teammates: async (tag?: string) => bodyOf(await v1.teammates.$get({ query: tag ? { tag } : {} }, o())),
  teammate: async (handle: string) => bodyOf(await v1.teammates[":handle"].$get({ param: { handle } }, o())),
  createTeammate: async (json: TeammateCreate) => bodyOf(await v1.teammates.$post({ json }, o())),
  updateTeammate: async (handle: string, json: TeammateUpdate) => bodyOf(await v1.teammates[":handle"].$patch({ param: { handle }, json }, o())),
  deleteTeammate: async (handle: string): Promise<void> => {
    await v1.teammates[":handle"].$delete({ param: { handle } }, o());
  },
  setToken: async (handle: string, token: string) =>
    bodyOf(await v1.teammates[":handle"].token.$put({ param: { handle }, json: { token } }, o({ timeoutMs: 60_000 }))),
  deleteToken: async (handle: string): Promise<void> => {
    await v1.teammates[":handle"].token.$delete({ param: { handle } }, o());
  },
  pair: async (handle: string) => bodyOf(await v1.teammates[":handle"].pair.$post({ param: { handle } }, o({ timeoutMs: 60_000 }))),
  agents: async (handle: string) => bodyOf(await v1.teammates[":handle"].agents.$get({ param: { handle } }, o({ timeoutMs: 30_000 }))),
  addAgents: async (handle: string, json: AgentsAdd) => bodyOf(await v1.teammates[":handle"].agents.$post({ param: { handle }, json }, o())),
  history: async (handle: string) => bodyOf(await v1.teammates[":handle"].history.$get({ param: { handle } }, o())),
  importLegacy: async (json: ImportRequest) => bodyOf(await v1.teammates.import.$post({ json }, o())),
  sync: async () => bodyOf(await v1.teammates.sync.$post({}, o({ timeoutMs: 60_000 }))),
  whoami: async () => bodyOf(await v1.whoami.$get({}, o())),
  setWhoami: async (handle: string | null) => bodyOf(await v1.whoami.$put({ json: { handle } }, o())),
  ping: async (to?: string) => bodyOf(await v1.ping.$post({ json: to ? { to } : {} }, o({ timeoutMs: 90_000 }))),

  // dryRun decides which answer comes back (the preview, or 202 Accepted with wait:false)
  previewSend: async (json: SendRequest): Promise<SendPreview> => {
    const body = await bodyAt(await v1.messages.$post({ json: { ...json, dryRun: true }, header: {} }, o()), 200);
    if (!("dryRun" in body)) throw new ApiError("BAD_RESPONSE", "The server sent a message where a dry-run preview was expected.", 200);
    return body;
  },
  send: async (json: SendRequest) => bodyAt(await v1.messages.$post({ json: { ...json, dryRun: false, wait: false }, header: idem() }, o()), 202),
  messages: async (limit = 20) => bodyOf(await v1.messages.$get({ query: { limit: String(limit) } }, o())),
  /** One teammate's (and session's) history, newest first, keyset-paged by nextCursor. */
  conversation: async (q: { teammate: string; session?: string; q?: string; before?: string; limit?: number }) => {
    const query: Record<string, string> = { teammate: q.teammate, limit: String(q.limit ?? 20) };
    if (q.session) query.session = q.session;
    if (q.q) query.q = q.q;
    if (q.before) query.before = q.before;
    return bodyOf(await v1.messages.$get({ query }, o()));
  },
  message: async (id: string) => bodyOf(await v1.messages[":id"].$get({ param: { id } }, o())),
  lateReply: async (id: string) => bodyOf(await v1.messages[":id"]["late-reply"].$post({ param: { id } }, o({ timeoutMs: 90_000 }))),
  cancelMessage: async (id: string) => bodyOf(await v1.messages[":id"].cancel.$post({ param: { id } }, o())),

  templates: async () => bodyOf(await v1.templates.$get({}, o())),
  createTemplate: async (json: TemplateCreate) => bodyOf(await v1.templates.$post({ json }, o())),
  deleteTemplate: async (id: number): Promise<void> => {
    await v1.templates[":id"].$delete({ param: { id: String(id) } }, o());
  },
  renderTemplate: async (id: number, json: { to?: string; vars: Record<string, string> }) =>
    bodyOf(await v1.templates[":id"].render.$post({ param: { id: String(id) }, json }, o())),

  schedules: async () => bodyOf(await v1.schedules.$get({}, o())),
  createSchedule: async (json: ScheduleCreate) => bodyOf(await v1.schedules.$post({ json }, o())),
  updateSchedule: async (id: number, json: ScheduleUpdate) => bodyOf(await v1.schedules[":id"].$patch({ param: { id: String(id) }, json }, o())),
  deleteSchedule: async (id: number): Promise<void> => {
    await v1.schedules[":id"].$delete({ param: { id: String(id) } }, o());
  },
  approveSchedule: async (id: number) => bodyOf(await v1.schedules[":id"].approve.$post({ param: { id: String(id) } }, o())),
  previewSchedule: async (cron: string, timezone: string) => bodyOf(await v1.schedules.preview.$post({ json: { cron, timezone, count: 5 } }, o())),

  previewBroadcast: async (json: BroadcastCreate) => bodyAt(await v1.broadcasts.$post({ json: { ...json, dryRun: true }, header: {} }, o()), 200),
  createBroadcast: async (json: BroadcastCreate) => bodyAt(await v1.broadcasts.$post({ json: { ...json, dryRun: false }, header: idem() }, o()), 201),
  broadcasts: async () => bodyOf(await v1.broadcasts.$get({ query: {} }, o())),
  broadcast: async (id: string) => bodyOf(await v1.broadcasts[":id"].$get({ param: { id } }, o())),
  confirmBroadcast: async (id: string, token: string) =>
    bodyOf(await v1.broadcasts[":id"].confirm.$post({ param: { id }, json: { token, wait: false }, header: idem() }, o())),
  cancelBroadcast: async (id: string) => bodyOf(await v1.broadcasts[":id"].cancel.$post({ param: { id } }, o())),
  /** The answers export (a download link): GET /broadcasts/{id}/answers. */
  broadcastAnswersUrl: (id: string, format: "csv" | "ndjson" | "markdown", status: readonly string[] = []) =>
    `${API_BASE}/broadcasts/${encodeURIComponent(id)}/answers${buildQuery({ format, status: [...status] })}`,
  retryBroadcast: async (id: string) => bodyOf(await v1.broadcasts[":id"].retry.$post({ param: { id }, query: {} }, o())),

  audit: async (q: AuditQuery, signal?: AbortSignal) =>
    bodyOf(await v1.audit.$get({ query: queryParams(q as RequestOptions["query"]) }, o(signal ? { signal } : {}))),
  auditEntry: async (id: number) => bodyOf(await v1.audit[":id"].$get({ param: { id: String(id) } }, o())),
  auditVerify: async () => bodyOf(await v1.audit.verify.$get({}, o({ timeoutMs: 120_000 }))),
  auditExportUrl: (q: AuditQuery, format: "ndjson" | "csv") => {
    const { cursor: _c, limit: _l, ...rest } = q;
    return `${API_BASE}/audit/export${buildQuery({ ...(rest as RequestOptions["query"]), format })}`;
  },
};

/** Field name → message, from a VALIDATION_FAILED error's details (several shapes accepted). */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || err.details == null) return out;
  const d = err.details as Record<string, unknown> | unknown[];
  const add = (path: unknown, message: unknown) => {
    const key = Array.isArray(path) ? path.join(".") : typeof path === "string" ? path : "";
    if (typeof message === "string" && !(key in out)) out[key] = message;
  };
  const issues = Array.isArray(d)
    ? d
    : Array.isArray((d as Record<string, unknown>).issues)
      ? ((d as Record<string, unknown>).issues as unknown[])
      : null;
  if (issues) {
    for (const i of issues) {
      if (i && typeof i === "object") {
        const o = i as Record<string, unknown>;
        add(o.path ?? o.field, o.message);
      }
    }
    return out;
  }
  const fe = (d as Record<string, unknown>).fieldErrors ?? (d as Record<string, unknown>).fields;
  if (fe && typeof fe === "object") {
    for (const [k, v] of Object.entries(fe as Record<string, unknown>)) add(k, Array.isArray(v) ? v[0] : v);
  }
  if (typeof (d as Record<string, unknown>).field === "string") add((d as Record<string, unknown>).field, err.message);
  return out;
}
