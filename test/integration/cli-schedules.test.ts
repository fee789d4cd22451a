// `team-mesh templates ...` and `team-mesh schedules ...` (the real command, a child process)
// against the real server: a template filled into a schedule, an edit that keeps the approval and
// one that lapses it, pause/resume, and the server's refusals as exit codes.
import { join } from "node:path";
import { runProcess, type ProcessResult } from "../support/run-process.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

const BIN = join(REPO_ROOT, "bin/team-mesh.mjs");

describe("team-mesh templates and schedules", () => {
  let srv: TestServer;
  let operator: string;
  let admin: string;
  const cli = (args: string[], key = operator): Promise<ProcessResult> =>
    runProcess(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MESH_URL: srv.url, MESH_API_KEY: key } });

  beforeAll(async () => {
    srv = await startTestServer();
    operator = await srv.keyFor("operator");
    admin = await srv.adminKey();
    await srv.addTeammate({ handle: "ann", gatewayUrl: "ws://127.0.0.1:9", token: "tok-cli-sched", tags: ["backend"] });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it("a template filled into a schedule; edits keep or lapse the approval; pause and resume", async () => {
    expect((await cli(["templates", "create", "freeze", "--body", "Deploy freeze from {{start}}"])).code).toBe(0);
    expect((await cli(["templates", "render", "freeze"])).code).toBe(2); // {{start}} missing
    const made = await cli(["schedules", "create", "--name", "freeze", "--template", "freeze", "--var", "start=17:00", "--cron", "0 16 * * 5", "--group", "backend", "--json"]);
    expect(made.code).toBe(0);
    const s = JSON.parse(made.out) as { id: number; message: string; tags: string[] };
    expect(s).toMatchObject({ message: "Deploy freeze from 17:00", tags: ["backend"] });
    const id = String(s.id);
    expect((await cli(["schedules", "approve", id])).code).toBe(3); // an operator key
    expect((await cli(["schedules", "approve", id], admin)).out).toContain("for ann");
    const moved = JSON.parse((await cli(["schedules", "edit", id, "--cron", "0 15 * * 5", "--tz", "Europe/Berlin", "--json"])).out);
    expect(moved).toMatchObject({ cron: "0 15 * * 5", timezone: "Europe/Berlin", approval: { recipients: ["ann"] } });
    const reworded = JSON.parse((await cli(["schedules", "edit", id, "-m", "Deploy freeze from 18:00", "--json"])).out);
    expect(reworded).toMatchObject({ message: "Deploy freeze from 18:00", approval: null });
    expect((await cli(["schedules", "pause", id])).code).toBe(0);
    expect((await cli(["schedules", "list"])).out).toMatch(new RegExp(`^\\s*${id}\\s+freeze\\s+cron 0 15 \\* \\* 5 \\(Europe/Berlin\\) · @backend · next none · paused$`, "m"));
    const resumed = await cli(["schedules", "resume", id]);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/^Resumed schedule \d+ \(freeze\); next run \d{4}-/);
  });

  it("the server's refusals: bad cron exit 2, unknown id exit 4, an ended one-off exit 1", async () => {
    const bad = await cli(["schedules", "create", "--name", "x", "-m", "x", "--cron", "61 * * * *"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("not a cron expression");
    const zone = await cli(["schedules", "create", "--name", "x", "-m", "x", "--cron", "0 9 * * *", "--tz", "Mars/Olympus"]);
    expect(zone.code).toBe(2);
    expect(zone.err).toContain("Unknown time zone");
    const unknown = await cli(["schedules", "edit", "9999", "--name", "y"]);
    expect(unknown.code).toBe(4);
    expect(unknown.err).toContain("SCHEDULE_NOT_FOUND");
    const once = JSON.parse((await cli(["schedules", "create", "--name", "soon", "-m", "x", "--at", new Date(Date.now() + 700).toISOString(), "--json"])).out) as { id: number };
    await cli(["schedules", "pause", String(once.id)]);
    await new Promise((r) => setTimeout(r, 900));
    const ended = await cli(["schedules", "resume", String(once.id)]);
    expect(ended.code).toBe(1);
    expect(ended.err).toContain("SCHEDULE_ENDED");
    expect((await cli(["schedules", "resume", String(once.id), "--at", new Date(Date.now() + 3_600_000).toISOString()])).code).toBe(0);
  });
});
