// The users admin API over real HTTP: list, create (with or without a password), change role,
// disable/enable, reset password, a user's keys; last-admin guard; disabled users' sessions and
// keys refused at once; non-admins 403; every change in the audit trail.
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";

describe("users admin API", () => {
  let srv: TestServer;
  let admin: string;
  beforeAll(async () => {
    srv = await startTestServer();
    admin = await srv.adminKey();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const userActions = async (): Promise<{ action: string; username?: string }[]> => {
    const r = await srv.api("GET", "/api/v1/audit?kind=user&limit=100", undefined, { key: admin });
    return r.body.items.map((e: { details: { action: string; username?: string } }) => e.details);
  };

  it("creates a user with a generated one-time password (shown once, signs in) and lists them", async () => {
    const r = await srv.api("POST", "/api/v1/users", { username: "Erin", role: "operator" }, { key: admin });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ username: "erin", role: "operator", disabled: false });
    expect(r.body.oneTimePassword).toMatch(/^[A-Za-z2-9]{20}$/);
    await srv.login("erin", r.body.oneTimePassword);
    const list = await srv.api("GET", "/api/v1/users", undefined, { key: admin });
    expect(list.body.items.find((u: { username: string }) => u.username === "erin")).toEqual({ username: "erin", role: "operator", disabled: false, mustChangePassword: true, createdAt: expect.any(String) });
    expect(list.text).not.toContain(r.body.oneTimePassword);
    // with a password given, none is generated
    const given = await srv.api("POST", "/api/v1/users", { username: "fred", password: "fred password 12", role: "auditor" }, { key: admin });
    expect(given.status).toBe(201);
    expect(given.body.oneTimePassword).toBeUndefined();
    const audit = await userActions();
    expect(audit).toContainEqual(expect.objectContaining({ action: "create", username: "erin", passwordGenerated: true }));
    const trail = await srv.api("GET", "/api/v1/audit?kind=user&limit=100", undefined, { key: admin });
    expect(trail.text).not.toContain(r.body.oneTimePassword);
  });

  it("lists who still has to change their password: true for a generated one until they change it, false for a given one", async () => {
    const listed = async (name: string) => ((await srv.api("GET", "/api/v1/users", undefined, { key: admin })).body.items as { username: string; mustChangePassword: boolean }[]).find((u) => u.username === name);
    const r = await srv.api("POST", "/api/v1/users", { username: "mona", role: "operator" }, { key: admin });
    expect(r.body.mustChangePassword).toBe(true);
    expect(await listed("mona")).toMatchObject({ mustChangePassword: true });
    const cookie = await srv.login("mona", r.body.oneTimePassword);
    const changed = await srv.api("POST", "/api/v1/auth/password", { currentPassword: r.body.oneTimePassword, newPassword: "mona's own password" }, { cookie });
    expect(changed.status).toBe(200);
    expect(await listed("mona")).toMatchObject({ mustChangePassword: false });
    // an admin reset hands out a one-time password again
    expect((await srv.api("POST", "/api/v1/users/mona/reset-password", undefined, { key: admin })).status).toBe(200);
    expect(await listed("mona")).toMatchObject({ mustChangePassword: true });
    await srv.api("POST", "/api/v1/users", { username: "nils", password: "nils password 12", role: "operator" }, { key: admin });
    expect(await listed("nils")).toMatchObject({ mustChangePassword: false });
    const patched = await srv.api("PATCH", "/api/v1/users/nils", { role: "auditor" }, { key: admin });
    expect(patched.body).toMatchObject({ username: "nils", mustChangePassword: false });
  });

  it("bad input: field messages in words, 400; a taken name 409", async () => {
    const short = await srv.api("POST", "/api/v1/users", { username: "gina", password: "short", role: "operator" }, { key: admin });
    expect(short.status).toBe(400);
    expect(short.body.error).toMatchObject({ code: "VALIDATION_FAILED", message: "Password must be at least 10 characters" });
    const badName = await srv.api("POST", "/api/v1/users", { username: "-x", role: "operator" }, { key: admin });
    expect(badName.body.error.message).toMatch(/^Username must be 2-64 characters/);
    const badRole = await srv.api("POST", "/api/v1/users", { username: "gina", role: "god" }, { key: admin });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.message).toMatch(/^role: /);
    expect((await srv.api("POST", "/api/v1/users", { username: "erin", role: "operator" }, { key: admin })).status).toBe(409);
  });

  it("changes a role (sessions end, audited) and 404s an unknown user", async () => {
    await srv.api("POST", "/api/v1/users", { username: "hank", password: "hank password 12", role: "operator" }, { key: admin });
    const cookie = await srv.login("hank", "hank password 12");
    const r = await srv.api("PATCH", "/api/v1/users/hank", { role: "auditor" }, { key: admin });
    expect(r.status).toBe(200);
    expect(r.body.role).toBe("auditor");
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
    expect((await srv.api("PATCH", "/api/v1/users/nobody", { role: "auditor" }, { key: admin })).status).toBe(404);
    expect(await userActions()).toContainEqual(expect.objectContaining({ action: "update", username: "hank", changed: ["role"] }));
  });

  it("a disabled user's session and API keys stop at once; enabling lets them sign in again (keys stay revoked)", async () => {
    await srv.api("POST", "/api/v1/users", { username: "ivy", password: "ivy password 123", role: "admin" }, { key: admin });
    const cookie = await srv.login("ivy", "ivy password 123");
    const made = await srv.api("POST", "/api/v1/api-keys", { name: "ivy-script", role: "requester" }, { cookie });
    expect(made.status).toBe(201);
    const ivyKey = made.body.key as string;
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { key: ivyKey })).status).toBe(200);
    const keys = await srv.api("GET", "/api/v1/users/ivy/api-keys", undefined, { key: admin });
    expect(keys.status).toBe(200);
    expect(keys.body.items).toEqual([expect.objectContaining({ name: "ivy-script", owner: "ivy", revokedAt: null })]);
    expect(keys.text).not.toContain(ivyKey);

    const off = await srv.api("PATCH", "/api/v1/users/ivy", { disabled: true }, { key: admin });
    expect(off.body.disabled).toBe(true);
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { key: ivyKey })).status).toBe(401);
    await expect(srv.login("ivy", "ivy password 123")).rejects.toThrow();
    const after = await srv.api("GET", "/api/v1/users/ivy/api-keys", undefined, { key: admin });
    expect(after.body.items[0].revokedAt).not.toBeNull();

    const on = await srv.api("PATCH", "/api/v1/users/ivy", { disabled: false }, { key: admin });
    expect(on.body.disabled).toBe(false);
    await srv.login("ivy", "ivy password 123");
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { key: ivyKey })).status).toBe(401);
    const actions = await userActions();
    expect(actions).toContainEqual(expect.objectContaining({ action: "update", username: "ivy", changed: ["disabled"], disabled: true }));
    expect(actions).toContainEqual(expect.objectContaining({ action: "update", username: "ivy", changed: ["disabled"], disabled: false }));
  });

  it("reset password: a one-time password that signs in, the old one and old sessions stop; audited without it", async () => {
    await srv.api("POST", "/api/v1/users", { username: "jack", password: "jack password 12", role: "operator" }, { key: admin });
    const cookie = await srv.login("jack", "jack password 12");
    const r = await srv.api("POST", "/api/v1/users/jack/reset-password", undefined, { key: admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ username: "jack", oneTimePassword: expect.stringMatching(/^[A-Za-z2-9]{20}$/), sessionsEnded: 1 });
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
    await expect(srv.login("jack", "jack password 12")).rejects.toThrow();
    await srv.login("jack", r.body.oneTimePassword);
    expect(await userActions()).toContainEqual(expect.objectContaining({ action: "reset_password", username: "jack", sessionsEnded: 1 }));
    const trail = await srv.api("GET", "/api/v1/audit?limit=200", undefined, { key: admin });
    expect(trail.text).not.toContain(r.body.oneTimePassword);
    expect(srv.output()).not.toContain(r.body.oneTimePassword);
    expect((await srv.api("POST", "/api/v1/users/nobody/reset-password", undefined, { key: admin })).status).toBe(404);
    expect((await srv.api("GET", "/api/v1/users/nobody/api-keys", undefined, { key: admin })).status).toBe(404);
  });

  it("the last active admin cannot be demoted, disabled or deleted: 409 LAST_ADMIN", async () => {
    // ivy (admin) exists from above: demote her first so only `admin` is left
    await srv.api("PATCH", "/api/v1/users/ivy", { role: "operator" }, { key: admin });
    for (const [method, body] of [
      ["PATCH", { role: "operator" }],
      ["PATCH", { disabled: true }],
      ["DELETE", undefined],
    ] as const) {
      const r = await srv.api(method, "/api/v1/users/admin", body, { key: admin });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: "LAST_ADMIN", message: "admin is the last active admin: make another user admin first" });
    }
    await srv.login("admin", ADMIN_PASSWORD);
  });

  it("non-admins get 403 on every users route", async () => {
    const op = await srv.keyFor("operator");
    for (const [method, path, body] of [
      ["GET", "/api/v1/users", undefined],
      ["POST", "/api/v1/users", { username: "kate", role: "admin" }],
      ["PATCH", "/api/v1/users/admin", { role: "operator" }],
      ["DELETE", "/api/v1/users/erin", undefined],
      ["POST", "/api/v1/users/admin/reset-password", undefined],
      ["GET", "/api/v1/users/admin/api-keys", undefined],
    ] as const) {
      const r = await srv.api(method, path, body, { key: op });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("FORBIDDEN");
    }
    expect((await srv.api("GET", "/api/v1/users")).status).toBe(401);
  });
});
