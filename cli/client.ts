// A small REST client for the CLI, on node:http(s) so that long sends are not cut by fetch's
// default header timeout. The API key travels only in the Authorization header and is never
// part of an error message.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { randomUUID } from "node:crypto";

export const DEFAULT_URL = "http://127.0.0.1:8790";

/** The server answered with an error body ({"error": {code, message, details}}). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly details: unknown;
  readonly body: unknown;
  constructor(status: number, code: string | undefined, message: string, details: unknown, body: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.body = body;
  }
}

/** No answer from the server at all. */
export class UnreachableError extends Error {}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export class ApiClient {
  readonly baseUrl: URL;
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
  }

  url(path: string, query?: RequestOptions["query"]): URL {
    const u = new URL(this.baseUrl.href);
    u.pathname = `${u.pathname.replace(/\/+$/, "")}${path}`;
    u.search = "";
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") u.searchParams.set(k, String(v));
    return u;
  }

  get<T>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>("GET", path, opts);
  }

  post<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>("POST", path, { ...opts, body });
  }

  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.url(path, opts.query);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: `Bearer ${this.#apiKey}`,
      "user-agent": "team-mesh-cli",
    };
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise<ApiResponse<T>>((resolve, reject) => {
      const req = send(url, { method, headers }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(new UnreachableError(`Connection to ${this.baseUrl.origin} broke: ${err.message}`)));
        res.on("end", () => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = null;
          if (text) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          if (status >= 200 && status < 300) return resolve({ status, body: body as T });
          const err = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
          const message = err?.message ?? (typeof body === "string" && body ? body.slice(0, 200) : `HTTP ${status}`);
          reject(new ApiError(status, err?.code, message, err?.details, body));
        });
      });
      const timer = setTimeout(() => {
        req.destroy(new UnreachableError(`No answer from ${this.baseUrl.origin} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      req.on("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err instanceof UnreachableError) return reject(err);
        reject(new UnreachableError(`Cannot reach the Team Mesh server at ${this.baseUrl.origin}: ${err.code ?? err.message}`));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }
}

export function newIdempotencyKey(): string {
  return `cli-${randomUUID()}`;
}
