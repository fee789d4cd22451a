// Test helpers: a fetch mock that answers by "METHOD /path" and records every call.
import { vi } from "vitest";

export interface Call {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  credentials: RequestCredentials | undefined;
}

type Handler = (call: Call) => { status?: number; body?: unknown } | undefined;

export function mockFetch(routes: Record<string, Handler | { status?: number; body?: unknown }>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init.method ?? "GET").toUpperCase();
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const call: Call = {
      method,
      path: path + url.search,
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
      headers,
      credentials: init.credentials,
    };
    calls.push(call);
    const h = routes[`${method} ${path}`] ?? routes[`${method} ${path}${url.search}`];
    const r = typeof h === "function" ? h(call) : h;
    if (!r) {
      return new Response(JSON.stringify({ error: { code: "NOT_FOUND", message: `no mock for ${method} ${path}` } }), {
        status: 404,
        headers: { "Content-Type": "application/json" },
      });
    }
    const status = r.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(r.body ?? {}), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fn);
  return { calls, fn };
}

/**
 * Mock routes that sign the session store in as `role` with these config values; spread them into
 * mockFetch({...}) and `await loadSession()` (with WebSocket stubbed away) before rendering.
 */
export function sessionRoutes(role: "admin" | "operator" | "requester" | "auditor", config: Record<string, unknown> = {}) {
  return {
    "GET /auth/me": { body: { kind: "user", name: role, role } },
    "GET /config": {
      body: { msgSoftLimit: 4096, msgHardLimit: 8192, roundsMax: 10, timeoutSecMax: 600, timeoutSecDefault: 60, syncConfigured: false, fallbackConfigured: false, version: "t", ...config },
    },
  };
}
