// `team-mesh list --tag` and `team-mesh broadcast --group` (the real command, a child process) against the real server.
import { join } from "node:path";
import { runProcess, type ProcessResult } from "../support/run-process.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-cli-groups-4a1f";
const BIN = join(REPO_ROOT, "bin/team-mesh.mjs");

describe("team-mesh groups", () => {
  let srv: TestServer;
  let gws: FakeGateway[];
  let operator: string;
  const cli = (args: string[]): Promise<ProcessResult> =>
    runProcess(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MESH_URL: srv.url, MESH_API_KEY: operator } });

  beforeAll(async () => {
    gws = await Promise.all([0, 1].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "me@example.com" } });
    operator = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "me", gatewayUrl: gws[0]!.url, token: TOKEN, tags: ["backend"] });
    await srv.addTeammate({ handle: "ann", gatewayUrl: gws[0]!.url, token: TOKEN, tags: ["backend", "oncall"] });
    await srv.addTeammate({ handle: "bob", gatewayUrl: gws[1]!.url, token: TOKEN, tags: ["frontend"] });
  });
  afterAll(async () => {
    await srv?.stop();
    await Promise.all((gws ?? []).map((g) => g.stop()));
  });

  it("list --tag shows only that group, with a TAGS column; --json too", async () => {
    const r = await cli(["list", "--tag", "@backend"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ann\s.*@backend @oncall/m);
    expect(r.out).toContain("me (me)");
    expect(r.out).not.toContain("bob");
    const j = await cli(["list", "--tag", "frontend", "--json"]);
    expect(JSON.parse(j.out).items.map((t: { handle: string }) => t.handle)).toEqual(["bob"]);
  });

  it("list --tag with a bad tag name: the server's validation error, exit 2", async () => {
    const r = await cli(["list", "--tag", "not a tag"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain("VALIDATION_FAILED");
  });

  it("broadcast --group --dry-run names the group and its exact recipients; nothing sent", async () => {
    const r = await cli(["broadcast", "--message", "deploy freeze", "--group", "backend", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Recipients in @backend (1): ann");
    expect(r.out).toMatch(/Skipped \(1\): me \(self\)/);
    expect(gws.map((g) => g.received.length)).toEqual([0, 0]);
  });

  it("broadcast --group --yes sends to the group only", async () => {
    const r = await cli(["broadcast", "--message", "frontend sync", "--group", "frontend", "--yes", "--timeout", "5"]);
    expect(r.out).toMatch(/bob\s+replied/);
    expect(r.code).toBe(0);
    expect(gws[0]!.received).toEqual([]);
    expect(gws[1]!.received).toEqual(["frontend sync"]);
  });

  it("broadcast --group with nobody in it: exit 1 and the server's words", async () => {
    const r = await cli(["broadcast", "--message", "hello?", "--group", "ghosts", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no teammate is tagged @ghosts");
  });
});
