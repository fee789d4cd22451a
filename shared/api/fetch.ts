// The one fetch wrapper every API client hands to `hc<AppType>` (hono/client): the dashboard,
// the CLI and the test harness. It adds the CSRF header to state-changing requests, bounds the
// wait, reports a 401, and turns an error answer ({"error": {code, message, details}}) or a
// failed connection into an ApiError. No zod and no server code: the web bundle carries it.
import type { ErrorCode } from "../errors.ts";

/** Codes a client produces itself when no error body came back. */
export type ClientErrorCode = "NETWORK_ERROR" | "REQUEST_TIMEOUT" | "BAD_RESPONSE";

export class ApiError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  /** HTTP status; 0 when no answer came. */
  readonly status: number;
  readonly details: unknown;
  /** The answer's body (parsed JSON, else its text), when there was one. */
  readonly body: unknown;
  constructor(code: ErrorCode | ClientErrorCode, message: string, status: number, details?: unknown, body?: unknown) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
    this.body = body;
  }
}

export const CSRF_HEADER = "X-Requested-With";
export const CSRF_VALUE = "team-mesh";

type Transport = (input: string, init: RequestInit) => Promise<Response>;

export interface ApiFetchOptions {
  /** What actually sends (default: the global fetch, looked up per call). */
  transport?: Transport;
  /** Sent with every request (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Add the CSRF header to state-changing requests (default true; a cookie session needs it). */
  csrf?: boolean;
  /** Abort after this long (default 30 s); null: never. */
  timeoutMs?: number | null;
  /** Aborts the request from outside (not reported as a timeout or network error). */
  signal?: AbortSignal;
  /** Called on a 401 answer (the session or key stopped being valid). */
  onUnauthenticated?: () => void;
  /** Throw ApiError on a non-2xx answer (default true); false hands every answer back. */
  throwOnError?: boolean;
  /** The error for a request that got no answer (default: ApiError NETWORK_ERROR / REQUEST_TIMEOUT). */
  transportError?: (err: unknown, info: { timedOut: boolean; timeoutMs: number | null }) => Error;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function defaultTransportError(_err: unknown, { timedOut }: { timedOut: boolean }): Error {
  return timedOut
    ? new ApiError("REQUEST_TIMEOUT", "The server did not answer in time. Try again.", 0)
    : new ApiError("NETWORK_ERROR", "Cannot reach the Team Mesh server. Check your connection.", 0);
}

/** "x-requested-with" → "X-Requested-With" (Headers lower-cases names; plain objects keep these). */
const headerName = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());

function plainHeaders(...sources: (HeadersInit | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of sources) {
    if (!src) continue;
    for (const [k, v] of new Headers(src)) out[headerName(k)] = v;
  }
  return out;
}

/** The answer's body: JSON (parsed) or text; undefined when empty. */
async function bodyOfResponse(res: Response): Promise<{ text: string; json: unknown }> {
  const text = await res.text().catch(() => "");
  if (!text) return { text, json: undefined };
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch {
    return { text, json: undefined };
  }
}

/** ApiError for a non-2xx answer (the error envelope when there is one, else BAD_RESPONSE). */
export async function errorOfResponse(res: Response): Promise<ApiError> {
  const { text, json } = await bodyOfResponse(res);
  const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  return err?.code
    ? new ApiError(err.code as ErrorCode, err.message ?? res.statusText, res.status, err.details, json)
    : new ApiError("BAD_RESPONSE", `The server answered ${res.status} ${res.statusText}`.trim(), res.status, undefined, json ?? text);
}

/** A fetch for `hc(base, { fetch })`, with the behaviour above. */
export function createApiFetch(opts: ApiFetchOptions = {}): typeof fetch {
  const timeoutMs = opts.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : opts.timeoutMs;
  const apiFetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const method = (init.method ?? "GET").toUpperCase();
    const headers = plainHeaders({ Accept: "application/json" }, opts.headers, init.headers);
    if (opts.csrf !== false && method !== "GET" && method !== "HEAD") headers[CSRF_HEADER] = CSRF_VALUE;
    const ctrl = new AbortController();
    let timedOut = false;
    const timer =
      timeoutMs === null
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            ctrl.abort();
          }, timeoutMs);
    const outer = [opts.signal, init.signal].filter((s): s is AbortSignal => Boolean(s));
    const onAbort = () => ctrl.abort();
    for (const s of outer) s.addEventListener("abort", onAbort);
    const send: Transport = opts.transport ?? ((u, i) => fetch(u, i));
    let res: Response;
    try {
      res = await send(String(input instanceof Request ? input.url : input), { ...init, method, headers, signal: ctrl.signal });
    } catch (err) {
      if (!timedOut && outer.some((s) => s.aborted)) throw err;
      throw (opts.transportError ?? defaultTransportError)(err, { timedOut, timeoutMs });
    } finally {
      clearTimeout(timer);
      for (const s of outer) s.removeEventListener("abort", onAbort);
    }
    if (res.status === 401) opts.onUnauthenticated?.();
    if (!res.ok && opts.throwOnError !== false) throw await errorOfResponse(res);
    return res;
  };
  return apiFetch as typeof fetch;
}

/**
 * The JSON body of a successful answer, typed as hc inferred it; undefined for 204. A 2xx answer
 * that is not JSON is BAD_RESPONSE.
 */
export async function bodyOf<R extends { json(): Promise<unknown> }>(res: R): Promise<Awaited<ReturnType<R["json"]>>> {
  const r = res as unknown as Response;
  if (r.status === 204) return undefined as Awaited<ReturnType<R["json"]>>;
  const { text, json } = await bodyOfResponse(r);
  if (json === undefined && text) throw new ApiError("BAD_RESPONSE", "The server sent a response that is not JSON.", r.status, undefined, text);
  return json as Awaited<ReturnType<R["json"]>>;
}

/**
 * The JSON body of an answer with the expected status, typed as hc inferred that status's body
 * (a route answering 200 or 202 needs no cast to one of them). Any other 2xx is BAD_RESPONSE.
 */
export async function bodyAt<R extends { status: number; json(): Promise<unknown> }, S extends R["status"]>(
  res: R,
  status: S,
): Promise<Awaited<ReturnType<Extract<R, { status: S }>["json"]>>> {
  if (res.status !== status) {
    await bodyOf(res).catch(() => undefined); // drain it
    throw new ApiError("BAD_RESPONSE", `The server answered ${res.status} where ${status} was expected.`, res.status);
  }
  return (await bodyOf(res)) as Awaited<ReturnType<Extract<R, { status: S }>["json"]>>;
}
