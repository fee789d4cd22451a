// `team-mesh templates ...` and `team-mesh schedules ...` in-process against a stand-in API
// (users.test.ts style): the requests sent, output, exit codes, --json; usage errors never reach the
// server; the skill refuses `schedules approve`.
import { run } from "./main.ts";
import { EXIT } from "./exit-codes.ts";
import { testIO, useFakeApi, type FakeApi } from "../test/support/cli-fake-api.ts";

const KEY = "tm_SECRETKEYVALUE_templates_42";
let api: FakeApi;
let env: Record<string, string>;
useFakeApi(KEY, (a, e) => {
  api = a;
  env = e;
});

const actor = { kind: "api_key", id: "k1", name: "ops", role: "operator" };
const template = (id: number, name: string, body: string, variables: string[], broadcastable = true) => ({ id, name, body, variables, broadcastable, createdBy: actor, createdAt: "2026-12-01T10:00:00.000Z", updatedAt: "2026-12-02T11:30:00.000Z" });
const schedule = (over: Record<string, unknown> = {}) => ({
  id: 7,
  name: "standup",
  message: "Standup in 5",
  sha256: "a".repeat(64),
  session: "main",
  timeoutSec: 60,
  tags: ["backend"],
  cron: "0 9 * * 1-5",
  runAt: null,
  timezone: "Europe/Berlin",
  enabled: true,
  nextRunAt: "2026-12-07T08:00:00.000Z",
  nextRuns: ["2026-12-07T08:00:00.000Z", "2026-12-08T08:00:00.000Z"],
  approval: null,
  runs: [],
  createdBy: actor,
  createdAt: "2026-12-01T10:00:00.000Z",
  ...over,
});

async function cli(argv: string[], opts: Parameters<typeof testIO>[0] & { skill?: boolean } = {}) {
  const io = testIO({ env, ...opts });
  const code = await run(argv, io, opts.skill ? { neverConfirm: true, adminCommands: false } : {});
  expect(io.stdoutText() + io.stderrText()).not.toContain(KEY);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

describe("team-mesh templates", () => {
  it("list and show; a name is looked up to its id; --json is the API's answer", async () => {
    const items = [template(1, "release", "Release {{version}} is out", ["version"]), template(2, "hello", "Hi {{name}}", ["name"], false)];
    api.on("GET", "/api/v1/templates", { status: 200, body: { items } });
    api.on("GET", "/api/v1/templates/2", { status: 200, body: items[1] });
    const list = await cli(["templates", "list"]);
    expect(list.code).toBe(EXIT.OK);
    expect(list.out.split("\n")).toEqual([expect.stringMatching(/^\s+1 {2}release\s+broadcast ok {2}\{\{version\}\}$/), expect.stringMatching(/^\s+2 {2}hello\s+send only\s+\{\{name\}\}$/)]);
    expect(JSON.parse((await cli(["templates", "list", "--json"])).out)).toEqual({ items });
    const shown = await cli(["templates", "show", "hello"]);
    expect(shown.code).toBe(EXIT.OK);
    expect(shown.out).toContain("Template 2: hello");
    expect(shown.out).toContain("no (uses recipient variables: Send only)");
    expect(shown.out.endsWith("Hi {{name}}")).toBe(true);
    expect(api.requests.at(-1)?.path).toBe("/api/v1/templates/2");
    const missing = await cli(["templates", "show", "nope"]);
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.err).toContain('No template named "nope"');
  });

  it("create (--body or standard input), render for one teammate or a broadcast, delete", async () => {
    api.on("POST", "/api/v1/templates", (req) => ({ status: 201, body: template(3, req.body.name, req.body.body, ["project"]) }));
    const made = await cli(["templates", "create", "status", "--body", "Status of {{project}}?"]);
    expect(made.code).toBe(EXIT.OK);
    expect(api.requests.at(-1)?.body).toEqual({ name: "status", body: "Status of {{project}}?" });
    expect(made.out).toBe("Created template 3 (status); variables: {{project}}.");
    await cli(["templates", "create", "piped", "--body", "-"], { stdin: "From stdin {{project}}\n" });
    expect(api.requests.at(-1)?.body).toEqual({ name: "piped", body: "From stdin {{project}}" });
    api.on("POST", "/api/v1/templates/3/render", (req) => ({ status: 200, body: { message: `Status of ${req.body.vars.project}?`, templateId: 3, to: req.body.to ?? null } }));
    const one = await cli(["templates", "render", "3", "--to", "ann", "--var", "project=mesh"]);
    expect(one.out).toBe("Status of mesh?");
    expect(api.requests.at(-1)?.body).toEqual({ to: "ann", vars: { project: "mesh" } });
    await cli(["templates", "render", "3", "--var", "project=a=b"]);
    expect(api.requests.at(-1)?.body).toEqual({ vars: { project: "a=b" } });
    api.on("DELETE", "/api/v1/templates/3", { status: 204 });
    const del = await cli(["templates", "delete", "3", "--json"]);
    expect(JSON.parse(del.out)).toEqual({ deleted: 3 });
  });

  it("the server's refusals keep their code and map to exit codes", async () => {
    api.on("POST", "/api/v1/templates", { status: 409, body: { error: { code: "TEMPLATE_NAME_TAKEN", message: 'A template named "status" exists' } } });
    const dup = await cli(["templates", "create", "status", "--body", "x"]);
    expect(dup.code).toBe(EXIT.FAILED);
    expect(dup.err).toBe('team-mesh: A template named "status" exists [TEMPLATE_NAME_TAKEN]');
    api.on("POST", "/api/v1/templates/4/render", { status: 400, body: { error: { code: "TEMPLATE_RECIPIENT_VARIABLE", message: "This template uses {{name}}", details: { variables: ["name"] } } } });
    const refused = await cli(["templates", "render", "4", "--json"]);
    expect(refused.code).toBe(EXIT.USAGE);
    expect(JSON.parse(refused.out)).toMatchObject({ error: { code: "TEMPLATE_RECIPIENT_VARIABLE", details: { variables: ["name"] } }, status: 400 });
    api.on("GET", "/api/v1/templates/9", { status: 404, body: { error: { code: "TEMPLATE_NOT_FOUND", message: "No template 9" } } });
    expect((await cli(["templates", "show", "9"])).code).toBe(EXIT.NOT_FOUND);
  });
});

describe("team-mesh schedules", () => {
  it("list and show: timing, group, next runs, approval, runs", async () => {
    const paused = schedule({ id: 8, name: "once", cron: null, runAt: "2026-12-10T12:00:00.000Z", tags: null, enabled: false, nextRunAt: null, nextRuns: [] });
    const approved = schedule({ approval: { sha256: "a".repeat(64), recipients: ["ann"], by: { kind: "user", id: "1", name: "admin", role: "admin" }, at: "2026-12-02T09:00:00.000Z" }, runs: [{ fireTime: "2026-12-04T08:00:00.000Z", broadcastId: "b1", outcome: "auto_confirmed", error: null }] });
    api.on("GET", "/api/v1/schedules", { status: 200, body: { items: [approved, paused] } });
    const list = await cli(["schedules", "list"]);
    expect(list.out.split("\n")).toEqual([
      "   7  standup                  cron 0 9 * * 1-5 (Europe/Berlin) · @backend · next 2026-12-07T08:00:00.000Z · pre-approved",
      "   8  once                     once at 2026-12-10T12:00:00.000Z · everyone · next none · paused",
    ]);
    api.on("GET", "/api/v1/schedules/7", { status: 200, body: approved });
    const shown = await cli(["schedules", "show", "7"]);
    expect(shown.out).toContain("Pre-approved by admin at 2026-12-02T09:00:00.000Z for ann");
    expect(shown.out).toContain("Next runs: 2026-12-07T08:00:00.000Z, 2026-12-08T08:00:00.000Z");
    expect(shown.out).toContain("2026-12-04T08:00:00.000Z  auto_confirmed  broadcast b1");
    api.on("GET", "/api/v1/schedules/99", { status: 404, body: { error: { code: "SCHEDULE_NOT_FOUND", message: "No schedule 99" } } });
    const gone = await cli(["schedules", "show", "99"]);
    expect(gone.code).toBe(EXIT.NOT_FOUND);
    expect(gone.err).toBe("team-mesh: No schedule 99 [SCHEDULE_NOT_FOUND]");
  });

  it("create: cron or --at, groups without @, a template filled for a broadcast", async () => {
    api.on("POST", "/api/v1/schedules", (req) => ({ status: 201, body: schedule({ ...req.body, id: 9, tags: req.body.tags ?? null }) }));
    const r = await cli(["schedules", "create", "--name", "standup", "-m", "Standup in 5", "--cron", "0 9 * * 1-5", "--tz", "Europe/Berlin", "--group", "@backend", "--group", "ops"]);
    expect(r.code).toBe(EXIT.OK);
    expect(api.requests.at(-1)?.body).toEqual({ name: "standup", message: "Standup in 5", cron: "0 9 * * 1-5", timezone: "Europe/Berlin", tags: ["backend", "ops"] });
    expect(r.out).toContain("Created schedule 9 (standup)");
    expect(r.out).toContain("team-mesh schedules approve 9");
    await cli(["schedules", "create", "--name", "once", "-m", "x", "--at", "2026-12-08T08:00:00Z", "--timeout", "30", "--session", "ops"]);
    expect(api.requests.at(-1)?.body).toEqual({ name: "once", message: "x", runAt: "2026-12-08T08:00:00.000Z", timeoutSec: 30, session: "ops" });
    api.on("GET", "/api/v1/templates", { status: 200, body: { items: [template(5, "freeze", "Deploy freeze from {{start}}", ["start"])] } });
    api.on("POST", "/api/v1/templates/5/render", (req) => ({ status: 200, body: { message: `Deploy freeze from ${req.body.vars.start}`, templateId: 5, to: null } }));
    await cli(["schedules", "create", "--name", "freeze", "--template", "freeze", "--var", "start=17:00", "--cron", "0 16 * * 5"]);
    expect(api.requests.at(-2)?.body).toEqual({ vars: { start: "17:00" } });
    expect(api.requests.at(-1)?.body).toEqual({ name: "freeze", message: "Deploy freeze from 17:00", cron: "0 16 * * 5" });
  });

  it("edit sends only what is given; pause, resume (--at), approve, revoke, delete", async () => {
    api.on("PATCH", "/api/v1/schedules/7", (req) => ({ status: 200, body: schedule({ ...req.body }) }));
    const moved = await cli(["schedules", "edit", "7", "--cron", "30 8 * * 1", "--name", "weekly"]);
    expect(moved.code).toBe(EXIT.OK);
    expect(api.requests.at(-1)?.body).toEqual({ name: "weekly", cron: "30 8 * * 1" });
    expect(moved.out).toMatch(/^Updated schedule 7 \(weekly\): cron 30 8 \* \* 1/);
    await cli(["schedules", "edit", "7", "--everyone", "-m", "-"], { stdin: "new text\n" });
    expect(api.requests.at(-1)?.body).toEqual({ message: "new text", tags: null });
    await cli(["schedules", "edit", "7", "--at", "2026-12-09T10:00:00Z"]);
    expect(api.requests.at(-1)?.body).toEqual({ runAt: "2026-12-09T10:00:00.000Z" });
    expect((await cli(["schedules", "pause", "7"])).out).toBe("Paused schedule 7 (standup): no run until it is resumed.");
    expect(api.requests.at(-1)?.body).toEqual({ enabled: false });
    await cli(["schedules", "resume", "7", "--at", "2026-12-09T10:00:00Z"]);
    expect(api.requests.at(-1)?.body).toEqual({ enabled: true, runAt: "2026-12-09T10:00:00.000Z" });
    api.on("POST", "/api/v1/schedules/7/approve", { status: 200, body: schedule({ approval: { sha256: "a".repeat(64), recipients: ["ann"], by: actor, at: "2026-12-02T09:00:00.000Z" } }) });
    expect((await cli(["schedules", "approve", "7"])).out).toContain("Pre-approved schedule 7 (standup) for ann");
    api.on("DELETE", "/api/v1/schedules/7/approve", { status: 200, body: schedule() });
    expect((await cli(["schedules", "revoke", "7"])).out).toContain("Revoked the pre-approval of schedule 7");
    api.on("DELETE", "/api/v1/schedules/7", { status: 204 });
    expect((await cli(["schedules", "delete", "7"])).out).toBe("Deleted schedule 7.");
    expect(api.requests.at(-1)).toMatchObject({ method: "DELETE", path: "/api/v1/schedules/7" });
  });

  it("the server's refusals: a bad cron (exit 2), an ended one-off (409, exit 1), nobody to approve for", async () => {
    api.on("PATCH", "/api/v1/schedules/7", (req) =>
      req.body.cron
        ? { status: 400, body: { error: { code: "VALIDATION_FAILED", message: '"61 * * * *" is not a cron expression: bad minute' } } }
        : { status: 409, body: { error: { code: "SCHEDULE_ENDED", message: "Schedule 7 ran once and has no run left: give a new runAt" } } },
    );
    const bad = await cli(["schedules", "edit", "7", "--cron", "61 * * * *"]);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.err).toBe(`team-mesh: "61 * * * *" is not a cron expression: bad minute [VALIDATION_FAILED]`);
    const ended = await cli(["schedules", "resume", "7", "--json"]);
    expect(ended.code).toBe(EXIT.FAILED);
    expect(JSON.parse(ended.out)).toMatchObject({ error: { code: "SCHEDULE_ENDED" }, status: 409 });
    api.on("POST", "/api/v1/schedules/7/approve", { status: 409, body: { error: { code: "NO_RECIPIENTS", message: "Nobody would receive this schedule's broadcasts now; nothing to approve" } } });
    expect((await cli(["schedules", "approve", "7"])).code).toBe(EXIT.FAILED);
  });

  it("the skill refuses schedules approve before calling the server; other schedule commands work", async () => {
    const r = await cli(["schedules", "approve", "7"], { skill: true });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain("not part of the skill");
    expect(api.requests).toHaveLength(0);
    api.on("GET", "/api/v1/schedules", { status: 200, body: { items: [] } });
    expect((await cli(["schedules", "list"], { skill: true })).out).toBe("No schedules.");
  });
});

describe("usage errors exit 2 without calling the server", () => {
  it("templates and schedules", async () => {
    for (const argv of [
      ["templates", "frob"],
      ["templates", "show"],
      ["templates", "show", "a", "b"],
      ["templates", "create", "x"],
      ["templates", "list", "--body", "x"],
      ["templates", "show", "1", "--var", "a=b"],
      ["templates", "render", "1", "--var", "novalue"],
      ["schedules", "frob"],
      ["schedules", "show"],
      ["schedules", "show", "abc"],
      ["schedules", "create", "--name", "x", "-m", "y"],
      ["schedules", "create", "--name", "x", "--cron", "* * * * *"],
      ["schedules", "create", "-m", "y", "--cron", "* * * * *"],
      ["schedules", "create", "--name", "x", "-m", "y", "--cron", "* * * * *", "--at", "2026-12-08T08:00:00Z"],
      ["schedules", "create", "--name", "x", "-m", "y", "--template", "t", "--cron", "* * * * *"],
      ["schedules", "create", "--name", "x", "-m", "y", "--at", "next tuesday"],
      ["schedules", "create", "--name", "x", "-m", "y", "--cron", "* * * * *", "--everyone"],
      ["schedules", "create", "--name", "x", "-m", "y", "--cron", "* * * * *", "--var", "a=b"],
      ["schedules", "create", "--name", "x", "-m", "y", "--cron", "* * * * *", "--timeout", "0"],
      ["schedules", "edit", "7"],
      ["schedules", "edit", "7", "--group", "a", "--everyone"],
      ["schedules", "edit", "7", "--session", "bad session"],
      ["schedules", "pause", "7", "--name", "x"],
      ["schedules", "approve", "7", "--at", "2026-12-08T08:00:00Z"],
    ]) {
      expect((await cli(argv)).code, argv.join(" ")).toBe(EXIT.USAGE);
    }
    expect(api.requests).toHaveLength(0);
    expect((await cli(["schedules", "--help"])).out).toContain("schedules approve ID | revoke ID");
    expect((await cli(["help", "templates"])).out).toContain("templates render ID|NAME");
    expect((await cli(["help"])).out).toContain("schedules list|show|...");
  });
});
