// Auth over real HTTP: setup, login, sessions, CSRF, rate limit, users, API keys, 401/403.
import { ADMIN_PASSWORD, startTestServer, type ApiResponse, type TestServer } from "../support/server.ts";

async function post(srv: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(srv.url + path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { res, text, body: text ? (JSON.parse(text) as Record<string, any>) : null }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe("auth API", () => {
  let srv: TestServer;
  const texts: string[] = [];
  const api = async (method: string, path: string, body?: unknown, opts: Parameters<TestServer["api"]>[3] = {}): Promise<ApiResponse> => {
    const r = await srv.api(method, path, body, opts);
    texts.push(r.text, JSON.stringify([...r.headers]));
    return r;
  };
  const secrets: string[] = [ADMIN_PASSWORD];
  const shownOnce: string[] = [];

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    // no password, password hash or session hash in any response
    const all = texts.join("\n");
    for (const s of secrets) expect(all).not.toContain(s);
    // an API key appears in exactly one response: the one that created it
    for (const k of shownOnce) expect(all.split(k).length - 1).toBe(1);
    expect(all).not.toMatch(/scrypt\$/);
    await srv?.stop();
  });

  it("setup state is public and done when MESH_ADMIN_PASSWORD created the admin", async () => {
    const r = await api("GET", "/api/v1/auth/setup");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ setupRequired: false });
    const s = await post(srv, "/api/v1/auth/setup", { setupCode: "AAAA-BBBB-CCCC", username: "eve", password: "long enough password" });
    expect(s.res.status).toBe(409);
    expect(s.body?.error.code).toBe("SETUP_ALREADY_DONE");
  });

  it("login sets a hardened session cookie and answers Me", async () => {
    const r = await post(srv, "/api/v1/auth/login", { username: "admin", password: ADMIN_PASSWORD });
    expect(r.res.status).toBe(200);
    expect(r.body).toEqual({ kind: "user", name: "admin", role: "admin", mustChangePassword: false });
    const cookie = r.res.headers.getSetCookie().find((c) => c.startsWith("mesh_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i); // MESH_SECURE_COOKIES off in tests
    const value = cookie.split(";")[0]!;
    secrets.push(value.split("=")[1]!);
    const me = await api("GET", "/api/v1/auth/me", undefined, { cookie: value });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ kind: "user", name: "admin", role: "admin", mustChangePassword: false });
  });

  it("wrong credentials: 401 INVALID_CREDENTIALS; bad body: 400", async () => {
    const r = await post(srv, "/api/v1/auth/login", { username: "admin", password: "not-the-password" });
    expect(r.res.status).toBe(401);
    expect(r.body?.error.code).toBe("INVALID_CREDENTIALS");
    expect(r.res.headers.getSetCookie()).toEqual([]);
    const bad = await post(srv, "/api/v1/auth/login", { username: "admin" });
    expect(bad.res.status).toBe(400);
    expect(bad.body?.error.code).toBe("VALIDATION_FAILED");
  });

  it("everything else needs credentials: 401 UNAUTHENTICATED", async () => {
    for (const [m, p] of [
      ["GET", "/api/v1/auth/me"],
      ["GET", "/api/v1/users"],
      ["GET", "/api/v1/api-keys"],
      ["POST", "/api/v1/auth/logout"],
      ["GET", "/api/v1/teammates"],
      ["GET", "/api/v1/audit"],
    ] as const) {
      const r = await api(m, p);
      expect(r.status, `${m} ${p}`).toBe(401);
      expect(r.body.error.code).toBe("UNAUTHENTICATED");
    }
    const forged = await api("GET", "/api/v1/auth/me", undefined, { cookie: "mesh_session=forged" });
    expect(forged.status).toBe(401);
    const badKey = await api("GET", "/api/v1/auth/me", undefined, { key: "tm_notakey" });
    expect(badKey.status).toBe(401);
  });

  it("CSRF: cookie-authenticated writes need X-Requested-With; bearer keys do not", async () => {
    const cookie = await srv.login();
    const noHeader = await fetch(`${srv.url}/api/v1/users`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: cookie },
      body: JSON.stringify({ username: "csrf-victim", password: "long enough password", role: "auditor" }),
    });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { error: { code: string } }).error.code).toBe("CSRF_REJECTED");
    // reads are fine without the header
    const read = await fetch(`${srv.url}/api/v1/users`, { headers: { Cookie: cookie } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { items: { username: string }[] }).items.map((u) => u.username)).not.toContain("csrf-victim");
    const withHeader = await api("POST", "/api/v1/users", { username: "csrf-ok", password: "long enough password", role: "auditor" }, { cookie });
    expect(withHeader.status).toBe(201);
    const key = await srv.adminKey();
    const bearer = await api("DELETE", "/api/v1/users/csrf-ok", undefined, { key });
    expect(bearer.status).toBe(204);
  });

  it("logout ends the session", async () => {
    const cookie = await srv.login();
    expect((await api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(200);
    const out = await api("POST", "/api/v1/auth/logout", undefined, { cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/mesh_session=;/);
    expect((await api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
  });

  it("rate-limits failed logins per username + IP: 429 RATE_LIMITED with Retry-After", async () => {
    await api("POST", "/api/v1/users", { username: "target", password: "target password 1", role: "requester" }, { key: await srv.adminKey() });
    for (let i = 0; i < 10; i++) {
      const r = await post(srv, "/api/v1/auth/login", { username: "target", password: `wrong-${i}` });
      expect(r.res.status).toBe(401);
    }
    const limited = await post(srv, "/api/v1/auth/login", { username: "target", password: "target password 1" });
    expect(limited.res.status).toBe(429);
    expect(limited.body?.error.code).toBe("RATE_LIMITED");
    expect(Number(limited.res.headers.get("retry-after"))).toBeGreaterThan(0);
    // another username from the same IP is not affected
    expect((await post(srv, "/api/v1/auth/login", { username: "admin", password: ADMIN_PASSWORD })).res.status).toBe(200);
    const audit = await api("GET", "/api/v1/audit?kind=login&outcome=failed&limit=50", undefined, { key: await srv.adminKey() });
    expect(audit.body.items.length).toBeGreaterThanOrEqual(11);
    expect(audit.text).not.toContain("wrong-");
  });

  it("users: CRUD, 400, 404, 409, last admin", async () => {
    const key = await srv.adminKey();
    const created = await api("POST", "/api/v1/users", { username: "Dora", password: "dora password 1", role: "operator" }, { key });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: "dora", role: "operator", disabled: false });
    expect(created.body).not.toHaveProperty("password");
    expect((await api("POST", "/api/v1/users", { username: "dora", password: "dora password 1", role: "operator" }, { key })).body.error.code).toBe("USERNAME_TAKEN");
    const short = await api("POST", "/api/v1/users", { username: "x1", password: "short", role: "operator" }, { key });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe("VALIDATION_FAILED");
    expect((await api("POST", "/api/v1/users", { username: "x2", password: "long enough password", role: "god" }, { key })).status).toBe(400);
    const patched = await api("PATCH", "/api/v1/users/dora", { role: "auditor", disabled: true }, { key });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ role: "auditor", disabled: true });
    expect((await post(srv, "/api/v1/auth/login", { username: "dora", password: "dora password 1" })).res.status).toBe(401);
    expect((await api("PATCH", "/api/v1/users/nobody", { role: "auditor" }, { key })).status).toBe(404);
    const lastAdmin = await api("PATCH", "/api/v1/users/admin", { role: "operator" }, { key });
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.error.code).toBe("LAST_ADMIN");
    expect(lastAdmin.body.error.message).toMatch(/last active admin/);
    const list = await api("GET", "/api/v1/users", undefined, { key });
    expect(list.body.items.map((u: { username: string }) => u.username)).toContain("dora");
    expect((await api("DELETE", "/api/v1/users/dora", undefined, { key })).status).toBe(204);
    expect((await api("DELETE", "/api/v1/users/dora", undefined, { key })).status).toBe(404);
  });

  it("roles: 403 FORBIDDEN with needs and roles", async () => {
    const op = await srv.keyFor("operator");
    const r = await api("GET", "/api/v1/users", undefined, { key: op });
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: "FORBIDDEN", details: { needs: "users:manage", roles: ["admin"] } });
    const k = await api("POST", "/api/v1/api-keys", { name: "x", role: "admin" }, { key: op });
    expect(k.status).toBe(403);
    expect(k.body.error.details).toEqual({ needs: "keys:manage", roles: ["admin"] });
    const me = await api("GET", "/api/v1/auth/me", undefined, { key: op });
    expect(me.body).toMatchObject({ kind: "api_key", role: "operator" });
  });

  it("API keys: shown once, listed without the key, revoked → 401, expiry validated", async () => {
    const admin = await srv.adminKey();
    const created = await api("POST", "/api/v1/api-keys", { name: "ci-bot", role: "auditor" }, { key: admin });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    shownOnce.push(key);
    expect(key).toMatch(/^tm_/);
    expect(created.body.prefix).toBe(key.slice(0, 10));
    const list = await api("GET", "/api/v1/api-keys", undefined, { key: admin });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: "ci-bot", role: "auditor", revokedAt: null });
    expect(listed).not.toHaveProperty("key");
    expect(list.text).not.toContain(key);
    expect((await api("GET", "/api/v1/audit?limit=1", undefined, { key })).status).toBe(200);
    const used = await api("GET", "/api/v1/api-keys", undefined, { key: admin });
    expect(used.body.items.find((k: { id: string }) => k.id === created.body.id).lastUsedAt).not.toBeNull();
    expect((await api("DELETE", `/api/v1/api-keys/${created.body.id}`, undefined, { key: admin })).status).toBe(204);
    const after = await api("GET", "/api/v1/audit?limit=1", undefined, { key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("UNAUTHENTICATED");
    expect((await api("DELETE", "/api/v1/api-keys/does-not-exist", undefined, { key: admin })).status).toBe(404);
    const past = await api("POST", "/api/v1/api-keys", { name: "old", role: "auditor", expiresAt: "2000-01-01T00:00:00Z" }, { key: admin });
    expect(past.status).toBe(400);
    const auditText = (await api("GET", "/api/v1/audit?kind=api_key&limit=100", undefined, { key: admin })).text;
    expect(auditText).toContain("ci-bot");
    expect(auditText).not.toContain(key);
  });

  it("a disabled or deleted user's API keys (and keys made with them) answer 401; revocations are audited with the actor", async () => {
    const adminCookie = await srv.login();
    const pw = "long enough password";
    for (const username of ["keyowner-b", "keyowner-c"]) {
      expect((await api("POST", "/api/v1/users", { username, password: pw, role: "admin" }, { cookie: adminCookie })).status).toBe(201);
    }
    const bCookie = await srv.login("keyowner-b", pw);
    const bKey = await api("POST", "/api/v1/api-keys", { name: "b-key", role: "admin" }, { cookie: bCookie });
    shownOnce.push(bKey.body.key);
    // a key created with B's key acts for B as well
    const bChild = await api("POST", "/api/v1/api-keys", { name: "b-child", role: "admin" }, { key: bKey.body.key });
    shownOnce.push(bChild.body.key);
    expect(bChild.body.owner).toBe("keyowner-b");
    const cKey = await api("POST", "/api/v1/api-keys", { name: "c-key", role: "admin" }, { cookie: await srv.login("keyowner-c", pw) });
    shownOnce.push(cKey.body.key);
    expect((await api("GET", "/api/v1/users", undefined, { key: bChild.body.key })).status).toBe(200);

    expect((await api("PATCH", "/api/v1/users/keyowner-b", { disabled: true }, { cookie: adminCookie })).status).toBe(200);
    for (const k of [bKey.body.key, bChild.body.key]) {
      const r = await api("POST", "/api/v1/users", { username: "sneaky", password: pw, role: "admin" }, { key: k });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("UNAUTHENTICATED");
    }
    // re-enabling B does not bring the keys back
    expect((await api("PATCH", "/api/v1/users/keyowner-b", { disabled: false }, { cookie: adminCookie })).status).toBe(200);
    expect((await api("GET", "/api/v1/users", undefined, { key: bKey.body.key })).status).toBe(401);

    expect((await api("DELETE", "/api/v1/users/keyowner-c", undefined, { cookie: adminCookie })).status).toBe(204);
    const cUse = await api("POST", "/api/v1/users", { username: "sneaky", password: pw, role: "admin" }, { key: cKey.body.key });
    expect(cUse.status).toBe(401);
    expect((await api("GET", "/api/v1/users", undefined, { cookie: adminCookie })).body.items.map((u: { username: string }) => u.username)).not.toContain("sneaky");

    const keys = (await api("GET", "/api/v1/api-keys", undefined, { cookie: adminCookie })).body.items as { id: string; owner: string | null; revokedAt: string | null }[];
    for (const [k, owner] of [[bKey, "keyowner-b"], [bChild, "keyowner-b"], [cKey, "keyowner-c"]] as const) {
      expect(keys.find((x) => x.id === k.body.id)).toMatchObject({ owner, revokedAt: expect.any(String) });
    }
    const trail = (await api("GET", "/api/v1/audit?kind=api_key&limit=100", undefined, { cookie: adminCookie })).body.items as { actor: string; details: Record<string, unknown> }[];
    const revokes = trail.filter((e) => e.details.action === "revoke" && typeof e.details.reason === "string");
    expect(revokes.map((e) => [e.actor, e.details.name, e.details.reason, e.details.owner]).sort()).toEqual([
      ["user:admin", "b-child", "owner_disabled", "keyowner-b"],
      ["user:admin", "b-key", "owner_disabled", "keyowner-b"],
      ["user:admin", "c-key", "owner_deleted", "keyowner-c"],
    ]);
  });
});

describe("first start without MESH_ADMIN_PASSWORD, output not a terminal (child process)", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ child: true, env: { MESH_ADMIN_PASSWORD: "" } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it("prints the setup code on a plain line of its own (not only inside JSON); a wrong code is named as such", async () => {
    const plain = srv
      .output()
      .split("\n")
      .find((l) => l.startsWith("Team Mesh setup code: "));
    expect(plain).toMatch(/^Team Mesh setup code: [A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4} {2}\(open http:\/\/127\.0\.0\.1:\d+ /);
    const wrong = await post(srv, "/api/v1/auth/setup", { setupCode: "ZZZZ-ZZZZ-ZZZZ", username: "boss", password: "boss password 12" });
    expect(wrong.res.status).toBe(401);
    expect(wrong.body?.error).toMatchObject({ code: "SETUP_CODE_WRONG", message: expect.stringMatching(/setup code is wrong/) });
    const short = await post(srv, "/api/v1/auth/setup", { setupCode: "ZZZZ-ZZZZ-ZZZZ", username: "boss", password: "short" });
    expect(short.res.status).toBe(400);
    expect(short.body?.error).toMatchObject({ code: "VALIDATION_FAILED", message: "Password must be at least 10 characters" });
  });
});

describe("first start without MESH_ADMIN_PASSWORD", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { MESH_ADMIN_PASSWORD: "" } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it("prints a one-time setup code (warn) and POST /auth/setup creates the admin once", async () => {
    expect((await srv.api("GET", "/api/v1/auth/setup")).body).toEqual({ setupRequired: true });
    const line = srv
      .output()
      .split("\n")
      .find((l) => l.includes("setup code"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).level).toBe(40);
    const code = /([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})/.exec(line!)![1]!;
    const wrong = await post(srv, "/api/v1/auth/setup", { setupCode: "ZZZZ-ZZZZ-ZZZZ", username: "boss", password: "boss password 12" });
    expect(wrong.res.status).toBe(401);
    const weak = await post(srv, "/api/v1/auth/setup", { setupCode: code, username: "boss", password: "short" });
    expect(weak.res.status).toBe(400);
    const ok = await post(srv, "/api/v1/auth/setup", { setupCode: code, username: "boss", password: "boss password 12" });
    expect(ok.res.status).toBe(200);
    expect(ok.body).toEqual({ kind: "user", name: "boss", role: "admin", mustChangePassword: false });
    expect(ok.res.headers.getSetCookie().some((c) => c.startsWith("mesh_session="))).toBe(true);
    expect((await srv.api("GET", "/api/v1/auth/setup")).body).toEqual({ setupRequired: false });
    const again = await post(srv, "/api/v1/auth/setup", { setupCode: code, username: "boss2", password: "boss password 12" });
    expect(again.res.status).toBe(409);
    const cookie = ok.res.headers.getSetCookie().find((c) => c.startsWith("mesh_session="))!.split(";")[0]!;
    const me = await srv.api("GET", "/api/v1/auth/me", undefined, { cookie });
    expect(me.body.name).toBe("boss");
  });
});

describe("auth behind a trusted proxy (MESH_TRUST_PROXY)", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { MESH_TRUST_PROXY: "1" } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it("the login rate limit keys on the address the proxy appended, not on client-chosen X-Forwarded-For entries", async () => {
    await srv.api("POST", "/api/v1/users", { username: "victim", password: "victim password 1", role: "requester" }, { key: await srv.adminKey() });
    // the proxy appends the real client (198.51.100.7); the client forges a new first entry each time
    for (let i = 0; i < 10; i++) {
      const r = await post(srv, "/api/v1/auth/login", { username: "victim", password: `guess-${i}` }, { "X-Forwarded-For": `10.0.0.${i}, 198.51.100.7` });
      expect(r.res.status).toBe(401);
    }
    const limited = await post(srv, "/api/v1/auth/login", { username: "victim", password: "victim password 1" }, { "X-Forwarded-For": "10.9.9.9, 198.51.100.7" });
    expect(limited.res.status).toBe(429);
    expect(limited.body?.error.code).toBe("RATE_LIMITED");
    // another client behind the same proxy is not limited
    const other = await post(srv, "/api/v1/auth/login", { username: "victim", password: "victim password 1" }, { "X-Forwarded-For": "10.0.0.1, 198.51.100.8" });
    expect(other.res.status).toBe(200);
    // the audit trail records the proxy-appended address, never the forged one
    const audit = await srv.api("GET", "/api/v1/audit?kind=login&actor=user:victim&limit=50", undefined, { key: await srv.adminKey() });
    const ips = new Set(audit.body.items.map((e: { details: { ip?: string } }) => e.details.ip));
    expect([...ips].sort()).toEqual(["198.51.100.7", "198.51.100.8"]);
  });
});
