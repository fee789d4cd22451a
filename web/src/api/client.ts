// The only module that talks HTTP to the server (REST API v1). Every call goes through request():
// same-origin cookies, the CSRF header on state-changing requests, a timeout, and error bodies
// ({"error": {"code", "message", "details"}}) turned into ApiError.
import type { ErrorCode } from "../../../shared/errors.ts";
import type { Role } from "../../../shared/api/common.ts";
import type { ApiKey, Me, User } from "../../../shared/api/auth.ts";
import type {
  ImportReport,
  ImportRequest,
  SyncReport,
  Teammate,
  TeammateCreate,
  TeammateUpdate,
} from "../../../shared/api/teammates.ts";
import type { Message, SendPreview, SendRequest } from "../../../shared/api/messages.ts";
import type { Broadcast, BroadcastCreate } from "../../../shared/api/broadcasts.ts";
import type { AuditEntry, AuditQuery, AuditVerify } from "../../../shared/api/audit.ts";

/** Codes the client itself produces when no error body came back. */
export type ClientErrorCode = "NETWORK_ERROR" | "REQUEST_TIMEOUT" | "BAD_RESPONSE";

export class ApiError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  readonly status: number;
  readonly details: unknown;
  constructor(code: ErrorCode | ClientErrorCode, message: string, status: number, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** What a failed call threw, as an ApiError (anything else becomes NETWORK_ERROR with its text). */
export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError("NETWORK_ERROR", String(e), 0);
}

export const API_BASE = "/api/v1";
const DEFAULT_TIMEOUT_MS = 30_000;

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

export function buildQuery(query: RequestOptions["query"]): string {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) {
      if (v.length) p.set(k, v.join(","));
    } else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

function newIdempotencyKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  const stateChanging = method !== "GET" && method !== "HEAD";
  if (stateChanging) headers["X-Requested-With"] = "team-mesh";
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = () => ctrl.abort();
  opts.signal?.addEventListener("abort", onAbort);
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}${buildQuery(opts.query)}`, {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: ctrl.signal,
    });
  } catch (e) {
    if (timedOut) {
      throw new ApiError("REQUEST_TIMEOUT", "The server did not answer in time. Try again.", 0);
    }
    if (opts.signal?.aborted) throw e;
    throw new ApiError("NETWORK_ERROR", "Cannot reach the Team Mesh server. Check your connection.", 0);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text().catch(() => "");
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    const apiErr = err?.code
      ? new ApiError(err.code as ErrorCode, err.message ?? res.statusText, res.status, err.details)
      : new ApiError("BAD_RESPONSE", `The server answered ${res.status} ${res.statusText}`.trim(), res.status);
    if (res.status === 401 && !opts.quiet401) unauthenticatedHandler?.();
    throw apiErr;
  }
  if (json === undefined && text) {
    throw new ApiError("BAD_RESPONSE", "The server sent a response that is not JSON.", res.status);
  }
  return json as T;
}

export interface MeshConfig {
  msgSoftLimit: number;
  msgHardLimit: number;
  roundsMax: number;
  timeoutSecMax: number;
  timeoutSecDefault: number;
  syncConfigured: boolean;
  fallbackConfigured: boolean;
  version: string;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface Accepted {
  id: string;
  status: Message["status"];
  href: string;
}

export interface BroadcastPreview {
  dryRun: true;
  message: string;
  messageBytes: number;
  sha256: string;
  session: string;
  recipients: Broadcast["recipients"];
  skipped: Broadcast["skipped"];
  warnings: Broadcast["warnings"];
}

export interface Whoami {
  me: Teammate | null;
  source: "env" | "setting" | null;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

export interface HistoryItem {
  at: string;
  state: Teammate["status"]["state"];
  latencyMs: number | null;
  errorCode: string | null;
}

const enc = encodeURIComponent;

/** Typed calls, one per route of docs/api-routes.md that the dashboard uses. */
export const api = {
  setupState: () => request<{ setupRequired: boolean }>("GET", "/auth/setup", { quiet401: true }),
  setup: (body: { setupCode: string; username: string; password: string }) =>
    request<Me>("POST", "/auth/setup", { body, quiet401: true }),
  login: (body: { username: string; password: string }) => request<Me>("POST", "/auth/login", { body, quiet401: true }),
  logout: () => request<void>("POST", "/auth/logout", { quiet401: true }),
  me: () => request<Me>("GET", "/auth/me", { quiet401: true }),
  config: () => request<MeshConfig>("GET", "/config"),

  users: () => request<{ items: User[] }>("GET", "/users"),
  apiKeys: () => request<{ items: ApiKey[] }>("GET", "/api-keys"),
  createApiKey: (body: { name: string; role: Role; expiresAt?: string | null }) =>
    request<ApiKeyCreated>("POST", "/api-keys", { body }),
  revokeApiKey: (id: string) => request<void>("DELETE", `/api-keys/${enc(id)}`),

  teammates: () => request<{ items: Teammate[] }>("GET", "/teammates"),
  teammate: (handle: string) => request<Teammate>("GET", `/teammates/${enc(handle)}`),
  createTeammate: (body: TeammateCreate) => request<Teammate>("POST", "/teammates", { body }),
  updateTeammate: (handle: string, body: TeammateUpdate) =>
    request<Teammate>("PATCH", `/teammates/${enc(handle)}`, { body }),
  deleteTeammate: (handle: string) => request<void>("DELETE", `/teammates/${enc(handle)}`),
  setToken: (handle: string, token: string) =>
    request<Teammate>("PUT", `/teammates/${enc(handle)}/token`, { body: { token }, timeoutMs: 60_000 }),
  deleteToken: (handle: string) => request<void>("DELETE", `/teammates/${enc(handle)}/token`),
  pair: (handle: string) => request<Teammate>("POST", `/teammates/${enc(handle)}/pair`, { timeoutMs: 60_000 }),
  history: (handle: string) => request<{ items: HistoryItem[] }>("GET", `/teammates/${enc(handle)}/history`),
  importLegacy: (body: ImportRequest) => request<ImportReport>("POST", "/teammates/import", { body }),
  sync: () => request<SyncReport>("POST", "/teammates/sync", { timeoutMs: 60_000 }),
  whoami: () => request<Whoami>("GET", "/whoami"),
  setWhoami: (handle: string | null) => request<Whoami>("PUT", "/whoami", { body: { handle } }),
  ping: (to?: string) =>
    request<{ teammates: Teammate[] }>("POST", "/ping", { body: to ? { to } : {}, timeoutMs: 90_000 }),

  previewSend: (body: SendRequest) => request<SendPreview>("POST", "/messages", { body: { ...body, dryRun: true } }),
  send: (body: SendRequest) =>
    request<Accepted>("POST", "/messages", {
      body: { ...body, dryRun: false, wait: false },
      headers: { "Idempotency-Key": newIdempotencyKey() },
    }),
  messages: (limit = 20) => request<{ items: Message[] }>("GET", "/messages", { query: { limit } }),
  message: (id: string) => request<Message>("GET", `/messages/${enc(id)}`),
  lateReply: (id: string) => request<Message>("POST", `/messages/${enc(id)}/late-reply`, { timeoutMs: 90_000 }),
  cancelMessage: (id: string) => request<Message>("POST", `/messages/${enc(id)}/cancel`),

  previewBroadcast: (body: BroadcastCreate) =>
    request<BroadcastPreview>("POST", "/broadcasts", { body: { ...body, dryRun: true } }),
  createBroadcast: (body: BroadcastCreate) =>
    request<Broadcast>("POST", "/broadcasts", {
      body: { ...body, dryRun: false },
      headers: { "Idempotency-Key": newIdempotencyKey() },
    }),
  broadcasts: () => request<{ items: Broadcast[] }>("GET", "/broadcasts"),
  broadcast: (id: string) => request<Broadcast>("GET", `/broadcasts/${enc(id)}`),
  confirmBroadcast: (id: string, token: string) =>
    request<Broadcast>("POST", `/broadcasts/${enc(id)}/confirm`, {
      body: { token, wait: false },
      headers: { "Idempotency-Key": newIdempotencyKey() },
    }),
  cancelBroadcast: (id: string) => request<Broadcast>("POST", `/broadcasts/${enc(id)}/cancel`),
  retryBroadcast: (id: string) => request<Broadcast>("POST", `/broadcasts/${enc(id)}/retry`),

  audit: (q: AuditQuery, signal?: AbortSignal) =>
    request<AuditPage>("GET", "/audit", { query: q as RequestOptions["query"], signal }),
  auditEntry: (id: number) => request<AuditEntry>("GET", `/audit/${id}`),
  auditVerify: () => request<AuditVerify>("GET", "/audit/verify", { timeoutMs: 120_000 }),
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
