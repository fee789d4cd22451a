// `team-mesh users ...` in-process against a stand-in API (run.test.ts style): requests, output,
// exit codes, --json; usage errors never reach the server; the skill leaves the commands out.
import { run } from "./main.ts";
import { EXIT } from "./exit-codes.ts";
import { testIO, useFakeApi, type FakeApi } from "../test/support/cli-fake-api.ts";

const KEY = "tm_SECRETKEYVALUE_0123456789";
let api: FakeApi;
let env: Record<string, string>;
useFakeApi(KEY, (a, e) => {
  api = a;
  env = e;
});

const user = (username: string, role = "operator", disabled = false) => ({ username, role, disabled, createdAt: "2026-12-01T10:00:00.000Z" });

async function cli(argv: string[], opts: Parameters<typeof testIO>[0] & { skill?: boolean } = {}) {
  const io = testIO({ env, ...opts });
  const code = await run(argv, io, opts.skill ? { neverConfirm: true, adminCommands: false } : {});
  expect(io.stdoutText() + io.stderrText()).not.toContain(KEY);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

describe("team-mesh users", () => {
  it("list: one line per user; --json the API's answer", async () => {
    const body = { items: [user("admin", "admin"), user("erin", "auditor", true)] };
    api.on("GET", "/api/v1/users", { status: 200, body });
    const r = await cli(["users", "list"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out.split("\n")).toEqual([expect.stringMatching(/^admin\s+admin\s+active\s+since 2026-12-01$/), expect.stringMatching(/^erin\s+auditor\s+disabled\s+since 2026-12-01$/)]);
    expect(JSON.parse((await cli(["users", "list", "--json"])).out)).toEqual(body);
  });

  it("create without a password prints the generated one-time password once; --password-stdin sends one", async () => {
    api.on("POST", "/api/v1/users", (req) => ({
      status: 201,
      body: { ...user(req.body.username, req.body.role), mustChangePassword: !req.body.password, ...(req.body.password ? {} : { oneTimePassword: "OneTimePw23456789abc" }) },
    }));
    const r = await cli(["users", "create", "erin", "--role", "operator"]);
    expect(r.code).toBe(EXIT.OK);
    expect(api.requests.at(-1)?.body).toEqual({ username: "erin", role: "operator" });
    expect(r.out).toContain("One-time password, shown only now: OneTimePw23456789abc");
    expect(r.out).toContain("\nerin must choose a new password at first sign-in.");
    const given = await cli(["users", "create", "fred", "--role", "auditor", "--password-stdin"], { stdin: "fred password 12\n" });
    expect(api.requests.at(-1)?.body).toEqual({ username: "fred", role: "auditor", password: "fred password 12" });
    expect(given.out).toBe("Created fred (auditor).");
    const json = await cli(["users", "create", "gina", "--role", "requester", "--json"]);
    expect(JSON.parse(json.out)).toMatchObject({ username: "gina", oneTimePassword: "OneTimePw23456789abc" });
  });

  it("role, disable, enable: PATCH with the change", async () => {
    api.on("PATCH", "/api/v1/users/erin", (req) => ({ status: 200, body: { ...user("erin", req.body.role ?? "operator", req.body.disabled ?? false) } }));
    expect((await cli(["users", "role", "erin", "auditor"])).out).toBe("erin is now auditor; their sessions were ended.");
    expect(api.requests.at(-1)?.body).toEqual({ role: "auditor" });
    expect((await cli(["users", "disable", "erin"])).out).toMatch(/disabled: their sessions and API keys stopped working/);
    expect(api.requests.at(-1)?.body).toEqual({ disabled: true });
    expect((await cli(["users", "enable", "erin"])).out).toMatch(/enabled again/);
    expect(api.requests.at(-1)?.body).toEqual({ disabled: false });
  });

  it("reset-password prints the one-time password; keys lists the user's keys", async () => {
    api.on("POST", "/api/v1/users/erin/reset-password", { status: 200, body: { username: "erin", oneTimePassword: "NewOneTime2345678abc", sessionsEnded: 2 } });
    const r = await cli(["users", "reset-password", "erin"]);
    expect(r.out).toBe("New one-time password for erin, shown only now: NewOneTime2345678abc\n2 session(s) signed out. erin must choose a new password at the next sign-in.");
    const key = { id: "k1", name: "ci", role: "requester", prefix: "tm_abcdefg", createdBy: "user:erin", owner: "erin", createdAt: "2026-12-01T10:00:00.000Z", lastUsedAt: null, expiresAt: null, revokedAt: null };
    api.on("GET", "/api/v1/users/erin/api-keys", { status: 200, body: { items: [key] } });
    expect((await cli(["users", "keys", "erin"])).out).toMatch(/^ci\s+requester\s+tm_abcdefg…\s+active, last used never$/);
  });

  it("the last admin: the server's 409 LAST_ADMIN is shown in words, exit 1", async () => {
    api.on("PATCH", "/api/v1/users/admin", { status: 409, body: { error: { code: "LAST_ADMIN", message: "admin is the last active admin: make another user admin first" } } });
    const r = await cli(["users", "disable", "admin"]);
    expect(r.code).toBe(EXIT.FAILED);
    expect(r.err).toBe("team-mesh: admin is the last active admin: make another user admin first [LAST_ADMIN]");
    const j = await cli(["users", "role", "admin", "operator", "--json"]);
    expect(JSON.parse(j.out)).toMatchObject({ error: { code: "LAST_ADMIN" }, status: 409 });
  });

  it("usage errors exit 2 without calling the server", async () => {
    for (const argv of [
      ["users", "frob"],
      ["users", "create", "erin"],
      ["users", "create", "erin", "--role", "god"],
      ["users", "role", "erin"],
      ["users", "role", "erin", "boss"],
      ["users", "disable"],
      ["users", "disable", "a", "b"],
      ["users", "reset-password", "erin", "--role", "admin"],
      ["users", "list", "--password-stdin"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(EXIT.USAGE);
    }
    expect((await cli(["users", "create", "x1", "--role", "admin", "--password-stdin"], { stdin: "" })).code).toBe(EXIT.USAGE);
    expect(api.requests).toHaveLength(0);
    expect((await cli(["users", "--help"])).out).toContain("users reset-password USER");
    expect((await cli(["help"])).out).toContain("users list|create|role");
  });

  it("the skill's build has no users commands (refused, not in its help)", async () => {
    const r = await cli(["users", "list"], { skill: true });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain("not part of the skill");
    expect((await cli(["help"], { skill: true })).out).not.toContain("users");
    expect((await cli(["help", "users"], { skill: true })).out).not.toContain("users reset-password");
    expect(api.requests).toHaveLength(0);
  });
});
