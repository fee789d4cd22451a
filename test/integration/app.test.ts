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
    const invalid = await srv.api("POST", "/api/v1/messages", { to: "", message: "x", rounds: 11 }, { key });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe("VALIDATION_FAILED");
    const paths = invalid.body.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["to", "rounds"]));
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
