import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { staticRoutes } from "../../server/http/static.ts";
import { requestBodyLimit } from "../../shared/limits.ts";
import { startTestServer, type TestServer } from "../support/server.ts";


describe("app: health, errors, config, openapi, static", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it("healthz and readyz", async () => {
    expect((await srv.api("GET", "/healthz")).body).toEqual({ ok: true });
    const ready = await srv.api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.ok).toBe(true);
    expect(ready.body.db).toBe(true);
    expect(ready.body.migrations.applied).toBeGreaterThan(0);
  });

  it("no page may be framed by another site (clickjacking): X-Frame-Options DENY, frame-ancestors 'none'", async () => {
    for (const path of ["/", "/broadcasts", "/api/docs", "/api/v1/auth/setup", "/healthz"]) {
      const res = await fetch(srv.url + path);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
  });

  it("secure headers on pages and API answers alike, errors included; no HSTS over plain HTTP", async () => {
    for (const path of ["/", "/api/v1/teammates", "/api/v1/no-such-route"]) {
      const res = await fetch(srv.url + path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("cross-origin-opener-policy"), path).toBe("same-origin");
      expect(res.headers.get("strict-transport-security"), path).toBeNull();
      expect(res.headers.get("content-security-policy"), path).toMatch(new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${srv.port} wss://`));
      expect(res.headers.get("x-powered-by"), path).toBeNull();
    }
    expect((await fetch(`${srv.url}/api/v1/teammates`)).headers.get("cache-control")).toBe("no-store");
  });

  it("request ids: generated, or echoed when sane", async () => {
    const a = await srv.api("GET", "/healthz");
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const b = await srv.api("GET", "/healthz", undefined, { headers: { "X-Request-Id": "abc-123" } });
    expect(b.headers.get("x-request-id")).toBe("abc-123");
    const c = await srv.api("GET", "/healthz", undefined, { headers: { "X-Request-Id": "bad id <script>" } });
    expect(c.headers.get("x-request-id")).not.toContain("bad");
  });

  it("401 without credentials, then config with a key", async () => {
    const anon = await srv.api("GET", "/api/v1/config");
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe("UNAUTHENTICATED");
    const cfg = await srv.api("GET", "/api/v1/config", undefined, { key: await srv.keyFor("auditor") });
    expect(cfg.status).toBe(200);
    expect(cfg.body).toMatchObject({ msgSoftLimit: 4096, msgHardLimit: 8192, roundsMax: 10, timeoutSecMax: 600, timeoutSecDefault: 60, fallbackConfigured: false });
  });

  it("bad JSON → 400 INVALID_JSON; schema failure → 400 VALIDATION_FAILED with issues", async () => {
    const key = await srv.adminKey();
    const bad = await srv.api("POST", "/api/v1/messages", "{not json", { key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_JSON");
    const form = await srv.api("POST", "/api/v1/messages", "to=bob&message=x", { key, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(400);
    expect(form.body.error.code).toBe("VALIDATION_FAILED");
    const invalid = await srv.api("POST", "/api/v1/messages", { to: "", message: "x", rounds: 11 }, { key });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe("VALIDATION_FAILED");
    const paths = invalid.body.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["to", "rounds"]));
  });

  it("request bodies above the limit → 413 PAYLOAD_TOO_LARGE before anything reads them (Content-Length or chunked)", async () => {
    const limit = requestBodyLimit(8192);
    const huge = JSON.stringify({ username: "admin", password: "x".repeat(limit) });
    // public route, no credentials: the limit applies before authentication
    const login = await fetch(`${srv.url}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: huge });
    expect(login.status).toBe(413);
    const body = (await login.json()) as { error: { code: string; message: string; details: { limit: number } } };
    expect(body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", details: { limit } });
    expect(JSON.stringify(body)).not.toContain("xxxxxxxx");
    // chunked (no Content-Length): counted while read
    const key = await srv.adminKey();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"to":"bob","message":"'));
        if (sent > 4 * limit) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const chunked = await fetch(`${srv.url}/api/v1/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    // a message at the hard limit, every byte escaped by JSON, still fits: the message rules answer
    const escaped = await srv.api("POST", "/api/v1/messages", { to: "nobody-here", message: "\u0001".repeat(8192), dryRun: true }, { key });
    expect(escaped.status).toBe(404);
    expect(escaped.body.error.code).toBe("TEAMMATE_NOT_FOUND");
    expect((await srv.api("GET", "/healthz")).status).toBe(200);
  });

  it("a 400 never echoes the value of a secret field (token, password, setup code, confirmation token), in the answer or the log", async () => {
    const key = await srv.adminKey();
    await srv.api("POST", "/api/v1/teammates", { handle: "echo", name: "Echo" }, { key });
    const S = "S3CRET-ECHO-7f3a";
    const cases: [string, string, unknown][] = [
      ["PUT", "/api/v1/teammates/echo/token", { token: `${S}${"x".repeat(5000)}` }],
      ["PUT", "/api/v1/teammates/echo/token", { token: [S] }],
      ["PUT", "/api/v1/teammates/echo/token", { token: { value: S } }],
      ["POST", "/api/v1/teammates", { handle: "Not A Handle", name: "x", token: S }],
      ["POST", "/api/v1/teammates", { handle: "ok-handle", name: "x", token: [S] }],
      ["POST", "/api/v1/teammates/import", { registry: { agents: [] }, tokens: { tokens: { echo: [S], bob: { t: S } } } }],
      ["POST", "/api/v1/auth/login", { username: "admin", password: [S] }],
      ["POST", "/api/v1/auth/login", { username: [S], password: { p: S } }],
      ["POST", "/api/v1/auth/setup", { setupCode: [S], username: "x", password: S }],
      ["POST", "/api/v1/users", { username: "new-user", password: { p: S }, role: "requester" }],
      ["PATCH", "/api/v1/users/admin", { password: [S] }],
      ["POST", "/api/v1/broadcasts/some-id/confirm", { token: { t: S } }],
    ];
    for (const [method, path, body] of cases) {
      const res = await srv.api(method, path, body, { key });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      expect(res.text, `${method} ${path}`).not.toContain("S3CRET");
    }
    expect(srv.output()).not.toContain("S3CRET");
  });

  it("unknown API path → JSON 404; unknown page → SPA or 404, never a stack", async () => {
    const res = await srv.api("GET", "/api/v1/nope", undefined, { key: await srv.adminKey() });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
  });

  it("OpenAPI 3.1 document lists messaging routes and both security schemes", async () => {
    const res = await srv.api("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(["/api/v1/messages", "/api/v1/broadcasts/{id}/confirm", "/api/v1/ping", "/api/v1/status", "/healthz"]));
    expect(Object.keys(res.body.components.securitySchemes)).toEqual(expect.arrayContaining(["cookie", "bearer"]));
  });

  it("permissions: 403 FORBIDDEN with needs/roles", async () => {
    const res = await srv.api("GET", "/api/v1/messages", undefined, { key: await srv.keyFor("auditor") });
    expect(res.status).toBe(200);
    const ping = await srv.api("POST", "/api/v1/ping", {}, { key: await srv.keyFor("auditor") });
    expect(ping.status).toBe(403);
    expect(ping.body.error).toMatchObject({ code: "FORBIDDEN", details: { needs: "ping" } });
  });
});

describe("static web app", () => {
  it("serves files, falls back to index.html for app routes, never for API paths or traversal", async () => {
    const root = mkdtempSync(join(tmpdir(), "mesh-web-"));
    try {
      mkdirSync(join(root, "assets"));
      writeFileSync(join(root, "index.html"), "<!doctype html><title>Team Mesh</title>");
      writeFileSync(join(root, "assets", "app.js"), "console.log(1)");
      const app = staticRoutes(root);
      const page = await app.request("/teammates/bob");
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await page.text()).toContain("Team Mesh");
      const js = await app.request("/assets/app.js");
      expect(js.headers.get("content-type")).toContain("javascript");
      expect(js.headers.get("cache-control")).toContain("immutable");
      expect((await app.request("/assets/missing.js")).status).toBe(404);
      expect((await app.request("/api/v1/whatever")).status).toBe(404);
      expect((await app.request("/../../etc/passwd")).status).not.toBe(500);
      expect(await (await app.request("/%2e%2e/%2e%2e/etc/hostname")).text()).not.toMatch(/^[a-z0-9-]+\n$/);
      // malformed percent-encoding is a 404, not a 500 (it used to throw URIError)
      for (const bad of ["/%E0%A4%A", "/assets/%", "/%zz/page", "/teammates/%C0"]) {
        const res = await app.request(bad);
        expect(res.status, bad).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
