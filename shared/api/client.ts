// The typed API client of every client (dashboard, CLI, tests): hono/client over the server's
// AppType, error answers left out (the shared fetch wrapper throws them as ApiError, see fetch.ts).
// AppType is imported as a type only, so no server code or zod reaches a bundle.
import { hc, type PickResponseByStatusCode } from "hono/client";
import type { SuccessStatusCode } from "hono/utils/http-status";
import type { AppType } from "../../server/app.ts";

export type ApiRoutes = PickResponseByStatusCode<AppType, SuccessStatusCode>;

// Computed once here, not at every call site (keeps tsc fast).
const typed = (base: string, fetch: typeof globalThis.fetch, init?: RequestInit) => hc<ApiRoutes>(base, { fetch, ...(init ? { init } : {}) }).api.v1;

/** The client of REST API v1 (`client.teammates[":handle"].$get(...)`) at the server's base URL. */
export type ApiClient = ReturnType<typeof typed>;

export function createApiClient(base: string, fetch: typeof globalThis.fetch, init?: RequestInit): ApiClient {
  return typed(base, fetch, init);
}
