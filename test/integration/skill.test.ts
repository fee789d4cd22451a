// The OpenClaw skill's entry, skill/team-mesh/team-mesh.mjs (the bundled CLI), run with plain node
// from a copy of the skill folder against the real server and fake OpenClaw gateways: a send that
// times out, the late reply fetched with `reply`, unknown ids, --json, and broadcasts left for a
// person to confirm even when the key could confirm them.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess, type ProcessResult } from "../support/run-process.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-shared-token-for-skill-tests";

describe("the skill's team-mesh.mjs against the real server", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let dir: string;
  let requester: string;
  let operator: string;
  const skill = async (args: string[], key: string, input?: string): Promise<ProcessResult> => {
    const r = await runProcess(process.execPath, [join(dir, "team-mesh.mjs"), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent-home", MESH_URL: srv.url, MESH_API_KEY: key },
      input,
    });
    expect(r.out + r.err).not.toContain(key);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skill-int-"));
    for (const f of ["SKILL.md", "team-mesh.mjs"]) copyFileSync(join(REPO_ROOT, "skill/team-mesh", f), join(dir, f));
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "me@example.com" } });
    requester = await srv.keyFor("requester");
    operator = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "me", name: "Myself", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "alice", name: "Alice Slow", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv?.stop();
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("list --json and whoami --json: parseable API answers", async () => {
    const list = await skill(["list", "--json"], requester);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).items.map((t: { handle: string }) => t.handle).sort()).toEqual(["alice", "me"]);
    const who = await skill(["whoami", "--json"], requester);
    expect(JSON.parse(who.out)).toMatchObject({ me: { handle: "me" }, caller: { role: "requester" } });
  });

  it("send that times out: exit 1, the id and the reply command; reply waits for the late reply", { timeout: 90_000 }, async () => {
    // the run takes 16 s; each ask of the gateway for the late reply waits up to 10 s for it to end
    const sent = await skill(["send", "--to", "alice", "--message", "think hard [[delay:16000]]", "--timeout", "1", "--no-fallback"], requester);
    expect(sent.code).toBe(1);
    const hint = /No reply yet for message (\S+); the agent may still answer\. Fetch the late reply with:\n {2}(team-mesh reply \S+ --wait 60)/.exec(sent.out);
    expect(hint, sent.out).not.toBeNull();
    const id = hint![1] as string;
    expect(hint![2]).toBe(`team-mesh reply ${id} --wait 60`);

    // the run is still going: not there yet, and a short --wait gives up with exit 1
    const early = await skill(["reply", id, "--wait", "1", "--json"], requester);
    expect(early.code).toBe(1);
    expect(JSON.parse(early.out)).toMatchObject({ id, status: "timeout", replyPending: true });
    expect(early.err).toMatch(new RegExp(`no late reply for message ${id} yet \\(waited \\d+ s\\)\\. Try again later: team-mesh reply ${id} --wait 60`));

    // exactly the printed command (team-mesh = node team-mesh.mjs): the reply once the run ends
    const late = await skill(hint![2]!.split(" ").slice(1), requester);
    expect(late.code, late.err).toBe(0);
    expect(late.out).toContain("re: think hard");
    expect(late.out).not.toContain("team-mesh reply");
    const status = await skill(["status", id, "--json"], requester);
    expect(JSON.parse(status.out)).toMatchObject({ id, status: "replied", exchanges: [{ reply: "re: think hard" }] });
  });

  it("unknown ids: exit 4 with a clear message, as JSON with --json", async () => {
    const reply = await skill(["reply", "msg_does_not_exist"], requester);
    expect(reply.code).toBe(4);
    expect(reply.err).toContain("No message with id msg_does_not_exist");
    const status = await skill(["status", "msg_does_not_exist", "--json"], requester);
    expect(status.code).toBe(4);
    expect(JSON.parse(status.out)).toMatchObject({ error: { code: "NOT_FOUND", message: "No message or broadcast with id msg_does_not_exist" }, status: 404 });
  });

  it("broadcast with an operator key: created and left awaiting confirmation, nothing sent", async () => {
    gw.received.length = 0;
    const r = await skill(["broadcast", "--message", "standup at 10:00", "--json"], operator);
    expect(r.code).toBe(0);
    const b = JSON.parse(r.out);
    expect(b).toMatchObject({ state: "awaiting_confirmation", awaitingConfirmation: true, confirmationToken: null });
    const status = await skill(["status", b.id], operator);
    expect(status.out).toContain("awaiting confirmation");
    expect(gw.received).toEqual([]);
  });

  it("a requester key cannot sync: exit 3", async () => {
    const r = await skill(["sync"], requester);
    expect(r.code).toBe(3);
    expect(r.err).toContain("FORBIDDEN");
  });
});
