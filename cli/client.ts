// The CLI's API client: the typed client of shared/api/client.ts (hc<AppType>) with the shared
// fetch wrapper, sending over node:http(s) so that long sends are not cut by fetch's default
// header timeout. The API key travels only in the Authorization header and is never part of an
// error message.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { randomUUID } from "node:crypto";
import { createApiClient, type ApiClient as V1 } from "../shared/api/client.ts";
import { createApiFetch, type ApiError } from "../shared/api/fetch.ts";

export { ApiError } from "../shared/api/fetch.ts";

export const DEFAULT_URL = "http://127.0.0.1:8790";
const DEFAULT_TIMEOUT_MS = 60_000;

/** No answer from the server at all. */
export class UnreachableError extends Error {}

/** fetch() over node:http(s): the whole answer is read before it resolves. */
function nodeTransport(origin: string) {
  return (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const payload = typeof init.body === "string" ? Buffer.from(init.body) : undefined;
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (payload) headers["Content-Length"] = String(payload.length);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(url, { method: init.method ?? "GET", headers, ...(init.signal ? { signal: init.signal } : {}) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(new UnreachableError(`Connection to ${origin} broke: ${err.message}`)));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
          const noBody = status === 204 || status === 205 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: h }));
        });
      });
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  };
}

export interface CallOptions {
  timeoutMs?: number;
}

export class ApiClient {
  readonly baseUrl: URL;
  /** REST API v1, typed from the server's routes. */
  readonly api: V1;
  readonly #apiKey: string;

  constructor(baseUrl: string, apiKey: string) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new UnreachableError(`MESH_URL is not a valid URL: ${JSON.stringify(baseUrl)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UnreachableError(`MESH_URL must be http(s): ${baseUrl}`);
    this.baseUrl = url;
    this.#apiKey = apiKey;
    this.api = createApiClient(`${url.origin}${url.pathname.replace(/\/+$/, "")}`, this.#fetch());
  }

  /** Per-call options for `client.api...$get(args, client.opts({ timeoutMs }))`. */
  opts(o: CallOptions = {}): { fetch: typeof fetch } {
    return { fetch: this.#fetch(o.timeoutMs) };
  }

  #fetch(timeoutMs = DEFAULT_TIMEOUT_MS): typeof fetch {
    const origin = this.baseUrl.origin;
    return createApiFetch({
      transport: nodeTransport(origin),
      headers: { Authorization: `Bearer ${this.#apiKey}`, "User-Agent": "team-mesh-cli" },
      csrf: false,
      timeoutMs,
      transportError: (err, { timedOut }) => {
        if (timedOut) return new UnreachableError(`No answer from ${origin} within ${Math.round(timeoutMs / 1000)} s`);
        if (err instanceof UnreachableError) return err;
        const e = err as NodeJS.ErrnoException;
        return new UnreachableError(`Cannot reach the Team Mesh server at ${origin}: ${e.code ?? e.message}`);
      },
    });
  }
}

/**
 * The code and message to show for an error answer: the server's, else (a proxy's error page, no
 * error envelope) no code and the start of the page.
 */
export function shownError(err: ApiError): { code: string | undefined; message: string } {
  if (err.code !== "BAD_RESPONSE") return { code: err.code, message: err.message };
  const body = err.body;
  const message = (body as { error?: { message?: string } } | null | undefined)?.error?.message;
  return { code: undefined, message: message ?? (typeof body === "string" && body ? body.slice(0, 200) : `HTTP ${err.status}`) };
}

export function newIdempotencyKey(): string {
  return `cli-${randomUUID()}`;
}
