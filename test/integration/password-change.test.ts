// One-time passwords must be replaced: a user created with a generated password, or whose password
// an admin reset, gets a session that may only change it (POST /auth/password), sign out or ask
// /auth/me; everything else answers 403 PASSWORD_CHANGE_REQUIRED. Changing it clears the flag;
// the same password, a wrong current one and API keys are refused; the first admin is not flagged.
import WebSocket from "ws";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";

describe("must change a one-time password", () => {
  let srv: TestServer;
  let admin: string;
  beforeAll(async () => {
    srv = await startTestServer();
    admin = await srv.adminKey();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const sessionOf = (headers: Headers): string => {
    const c = headers.getSetCookie().find((x) => x.startsWith("mesh_session="));
    if (!c) throw new Error("no mesh_session cookie");
    return c.split(";")[0] as string;
  };
  const upgrade = (cookie: string) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${srv.url.replace("http", "ws")}/api/v1/events`, { headers: { Cookie: cookie } });
      ws.once("open", () => {
        ws.close();
        resolve();
      });
      ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once("error", reject);
    });
  const create = async (username: string, extra: Record<string, unknown> = {}) => {
    const r = await srv.api("POST", "/api/v1/users", { username, role: "admin", ...extra }, { key: admin });
    expect(r.status).toBe(201);
    expect(r.body.mustChangePassword).toBe(extra.mustChangePassword ?? !extra.password);
    return r.body.oneTimePassword as string;
  };

  it("the first admin (MESH_ADMIN_PASSWORD) is not flagged", async () => {
    const cookie = await srv.login("admin", ADMIN_PASSWORD);
    const me = await srv.api("GET", "/api/v1/auth/me", undefined, { cookie });
    expect(me.body).toEqual({ kind: "user", name: "admin", role: "admin", mustChangePassword: false });
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { cookie })).status).toBe(200);
    await upgrade(cookie);
  });

  it("a created user's session may only change the password, sign out or ask who it is", async () => {
    const otp = await create("pia");
    const login = await srv.api("POST", "/api/v1/auth/login", { username: "pia", password: otp });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ name: "pia", mustChangePassword: true });
    const cookie = sessionOf(login.headers);
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).body.mustChangePassword).toBe(true);
    for (const [method, path, body] of [
      ["GET", "/api/v1/teammates", undefined],
      ["GET", "/api/v1/users", undefined],
      ["GET", "/api/v1/config", undefined],
      ["POST", "/api/v1/api-keys", { name: "pia-key", role: "admin" }],
      ["GET", "/api/v1/audit", undefined],
    ] as const) {
      const r = await srv.api(method, path, body, { cookie });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");
      expect(r.body.error.message).toMatch(/^Choose a new password first/);
    }
    // the events WebSocket's upgrade is refused too (its probe answers 401 for any refusal)
    await expect(upgrade(cookie)).rejects.toMatchObject({ status: 401 });
    // sign-out is allowed
    expect((await srv.api("POST", "/api/v1/auth/logout", undefined, { cookie })).status).toBe(204);
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
  });

  it("changing it clears the flag, ends the other sessions and sets a working new session", async () => {
    const otp = await create("quinn");
    const first = await srv.login("quinn", otp);
    const second = await srv.login("quinn", otp);
    const r = await srv.api("POST", "/api/v1/auth/password", { currentPassword: otp, newPassword: "quinn's own password" }, { cookie: first });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ kind: "user", name: "quinn", role: "admin", mustChangePassword: false });
    const fresh = sessionOf(r.headers);
    expect(fresh).not.toBe(first);
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { cookie: fresh })).status).toBe(200);
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie: first })).status).toBe(401);
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie: second })).status).toBe(401);
    // the one-time password stops, the new one signs in unflagged
    await expect(srv.login("quinn", otp)).rejects.toThrow();
    const again = await srv.login("quinn", "quinn's own password");
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie: again })).body.mustChangePassword).toBe(false);
    // audited without either password
    const trail = await srv.api("GET", "/api/v1/audit?kind=user&limit=100", undefined, { key: admin });
    expect(trail.body.items.map((e: { details: unknown }) => e.details)).toContainEqual(
      expect.objectContaining({ action: "change_password", username: "quinn", wasRequired: true, sessionsEnded: 2 }),
    );
    expect(trail.text).not.toContain(otp);
    expect(trail.text).not.toContain("quinn's own password");
  });

  it("reset-password flags the user again; the same password and a wrong current one are refused", async () => {
    await create("rosa", { password: "rosa chose this 1" });
    const before = await srv.login("rosa", "rosa chose this 1");
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie: before })).body.mustChangePassword).toBe(false);
    const reset = await srv.api("POST", "/api/v1/users/rosa/reset-password", undefined, { key: admin });
    const otp = reset.body.oneTimePassword as string;
    const cookie = await srv.login("rosa", otp);
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { cookie })).body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");

    const same = await srv.api("POST", "/api/v1/auth/password", { currentPassword: otp, newPassword: otp }, { cookie });
    expect(same.status).toBe(400);
    expect(same.body.error).toMatchObject({ code: "PASSWORD_UNCHANGED", message: "The new password must differ from the current one" });
    const wrong = await srv.api("POST", "/api/v1/auth/password", { currentPassword: "not the password", newPassword: "rosa's new password" }, { cookie });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toMatchObject({ code: "CURRENT_PASSWORD_WRONG", message: "The current password is wrong; nothing changed" });
    const short = await srv.api("POST", "/api/v1/auth/password", { currentPassword: otp, newPassword: "short" }, { cookie });
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: "newPassword: Password must be at least 10 characters" });
    // none of these changed anything: still flagged, the one-time password still works
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).body.mustChangePassword).toBe(true);
    await srv.login("rosa", otp);
  });

  it("wrong current passwords count against the sign-in rate limit: 429 with Retry-After", async () => {
    const otp = await create("sam");
    const cookie = await srv.login("sam", otp);
    for (let i = 0; i < 10; i++) {
      const r = await srv.api("POST", "/api/v1/auth/password", { currentPassword: `wrong-${i}`, newPassword: "sam's new password" }, { cookie });
      expect(r.status).toBe(403);
    }
    const limited = await srv.api("POST", "/api/v1/auth/password", { currentPassword: otp, newPassword: "sam's new password" }, { cookie });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // the same budget as sign-in: the right one-time password is refused there too now
    const login = await srv.api("POST", "/api/v1/auth/login", { username: "sam", password: otp });
    expect(login.status).toBe(429);
  });

  it("API keys cannot change a password, and an admin may create a given-password user who must change it", async () => {
    const byKey = await srv.api("POST", "/api/v1/auth/password", { currentPassword: "x", newPassword: "long enough password" }, { key: admin });
    expect(byKey.status).toBe(403);
    expect(byKey.body.error.code).toBe("FORBIDDEN");
    await create("tess", { password: "handed over pw 1", mustChangePassword: true });
    const cookie = await srv.login("tess", "handed over pw 1");
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { cookie })).body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");
    // a created-with-one-time-password user can opt out only explicitly
    await create("uma", { mustChangePassword: false }).then(async (otp) => {
      const c = await srv.login("uma", otp);
      expect((await srv.api("GET", "/api/v1/teammates", undefined, { cookie: c })).status).toBe(200);
    });
  });
});
