// Several agents on one gateway: discovery (agents.list + agent.identity.get), one teammate entry
// per agent sharing the gateway's credentials (paired once), sends to `agent:<id>:<session>`,
// parallel across agents and serialized within one, broadcasts reaching each agent once, and the
// inter-session provenance mark where the gateway allows it.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-agents-41d9";
const AGENTS = [
  { id: "main", name: "Ada", emoji: "🦊" },
  { id: "research", name: "Rex", emoji: "🔬" },
  { id: "ops" },
];
const RUN_MS = 800;

describe("agents on one gateway", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let operator: string;
  let admin: string;
  const send = (to: string, message: string, extra: Record<string, unknown> = {}) =>
    srv.api("POST", "/api/v1/messages", { to, message, timeoutSec: 20, fallback: false, ...extra }, { key: operator });

  beforeAll(async () => {
    // a run that overlaps another of the same session is steered into it and gets no reply of its own
    gw = await startFakeGateway({ token: TOKEN, agents: AGENTS, replyDelayMs: RUN_MS, reply: (m, ctx) => `${ctx.agentId}: ${m}` });
    srv = await startTestServer();
    operator = await srv.keyFor("operator");
    admin = await srv.adminKey();
    await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("discovers the gateway's agents with their names and emojis", async () => {
    const res = await srv.api("GET", "/api/v1/teammates/ann/agents", undefined, { key: admin });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      gatewayUrl: gw.url,
      agents: [
        { agentId: "main", name: "Ada", emoji: "🦊", isDefault: true, teammate: "ann" },
        { agentId: "research", name: "Rex", emoji: "🔬", isDefault: false, teammate: null },
        { agentId: "ops", name: null, emoji: null, isDefault: false, teammate: null },
      ],
    });
  });

  it("adds one entry per chosen agent with the gateway's address and credentials", async () => {
    const res = await srv.api(
      "POST",
      "/api/v1/teammates/ann/agents",
      { agents: [{ agentId: "research", handle: "rex", name: "Rex", emoji: "🔬" }, { agentId: "OPS", handle: "ops", name: "Ops" }] },
      { key: admin },
    );
    expect(res.status).toBe(201);
    expect(res.body.items.map((t: { handle: string; agentId: string; agentEmoji: string | null; gatewayUrl: string; credential: { set: boolean } }) => [t.handle, t.agentId, t.agentEmoji, t.gatewayUrl, t.credential.set])).toEqual([
      ["rex", "research", "🔬", gw.url, true],
      ["ops", "ops", null, gw.url, true],
    ]);
    const again = await srv.api("GET", "/api/v1/teammates/ann/agents", undefined, { key: admin });
    expect(again.body.agents.map((a: { teammate: string | null }) => a.teammate)).toEqual(["ann", "rex", "ops"]);
    const ann = await srv.api("GET", "/api/v1/teammates/ann", undefined, { key: admin });
    expect(ann.body).toMatchObject({ agentId: "main", agentEmoji: null });
  });

  it("refuses bad agent entries with a code, and nothing is created", async () => {
    const bad = async (path: string, body: unknown, status: number, code: string) => {
      const r = await srv.api("POST", path, body, { key: admin });
      expect([r.status, r.body.error?.code]).toEqual([status, code]);
    };
    await bad("/api/v1/teammates/ann/agents", { agents: [{ agentId: "not an id!", handle: "x1", name: "X" }] }, 400, "VALIDATION_FAILED");
    await bad("/api/v1/teammates/ann/agents", { agents: [] }, 400, "VALIDATION_FAILED");
    await bad("/api/v1/teammates/ann/agents", { agents: [{ agentId: "ops", handle: "ann", name: "Dup" }] }, 409, "HANDLE_TAKEN");
    await bad("/api/v1/teammates/ann/agents", { agents: [{ agentId: "a", handle: "twin", name: "A" }, { agentId: "b", handle: "twin", name: "B" }] }, 400, "VALIDATION_FAILED");
    await bad("/api/v1/teammates/nobody/agents", { agents: [{ agentId: "ops", handle: "x2", name: "X" }] }, 404, "TEAMMATE_NOT_FOUND");
    await bad("/api/v1/teammates", { handle: "x3", name: "X", agentId: "-bad" }, 400, "VALIDATION_FAILED");
    // operators may not add teammates
    const r = await srv.api("POST", "/api/v1/teammates/ann/agents", { agents: [{ agentId: "ops", handle: "x4", name: "X" }] }, { key: operator });
    expect(r.status).toBe(403);
    const list = await srv.api("GET", "/api/v1/teammates", undefined, { key: admin });
    expect(list.body.items.map((t: { handle: string }) => t.handle)).toEqual(["ann", "ops", "rex"]);
  });

  it("discovery on a teammate without an address or with a wrong token fails with a code", async () => {
    await srv.addTeammate({ handle: "nowhere", name: "Nowhere", gatewayUrl: null });
    const none = await srv.api("GET", "/api/v1/teammates/nowhere/agents", undefined, { key: admin });
    expect([none.status, none.body.error.code]).toEqual([409, "NO_ADDRESS"]);
    await srv.addTeammate({ handle: "wrong", name: "Wrong", gatewayUrl: gw.url, token: "not-the-token" });
    const wrong = await srv.api("GET", "/api/v1/teammates/wrong/agents", undefined, { key: admin });
    expect([wrong.status, wrong.body.error.code]).toEqual([502, "AUTH_FAILED"]);
    expect(wrong.text).not.toContain("not-the-token");
    await srv.api("DELETE", "/api/v1/teammates/wrong", undefined, { key: admin });
    await srv.api("DELETE", "/api/v1/teammates/nowhere", undefined, { key: admin });
  });

  it("a send goes to agent:<agentId>:<session> and gets that agent's reply", async () => {
    gw.chatSends.length = 0;
    const res = await send("rex", "status?", { session: "standup" });
    expect(res.status).toBe(200);
    expect(res.body.exchanges[0]).toMatchObject({ status: "replied", reply: "research: status?" });
    const main = await send("ann", "hello");
    expect(main.body.exchanges[0].reply).toBe("main: hello");
    expect(gw.chatSends.map((s) => s.sessionKey)).toEqual(["agent:research:standup", "agent:main:main"]);
    // Team Mesh holds no operator.admin on this gateway: no provenance field (it would be refused)
    expect(gw.chatSends.every((s) => s.provenance === undefined)).toBe(true);
  });

  it("different agents of one gateway run in parallel; one agent's session is serialized", async () => {
    const t0 = Date.now();
    const [a, b] = await Promise.all([send("ann", "parallel a"), send("rex", "parallel b")]);
    const parallelMs = Date.now() - t0;
    expect([a.body.exchanges[0].reply, b.body.exchanges[0].reply]).toEqual(["main: parallel a", "research: parallel b"]);
    expect(parallelMs).toBeLessThan(RUN_MS * 2);

    const t1 = Date.now();
    const [c, d] = await Promise.all([send("rex", "serial c"), send("rex", "serial d")]);
    // both got their own reply: the second was not steered into the first's run
    expect([c.body.exchanges[0].reply, d.body.exchanges[0].reply]).toEqual(["research: serial c", "research: serial d"]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(RUN_MS * 2);
    // the three entries share one connection (the one of the entry they were added from)
    expect(gw.connections()).toBe(1);
  });

  it("a broadcast reaches each agent once, each with its own reply", async () => {
    gw.received.length = 0;
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "retro at 4", timeoutSec: 20 }, { key: operator });
    expect(created.status).toBe(201);
    const ok = await srv.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken }, { key: operator });
    expect(ok.status).toBe(202);
    const done = (
      await until(
        () => srv.api("GET", `/api/v1/broadcasts/${created.body.id}`, undefined, { key: operator }),
        (r) => r.body.state === "completed",
        30_000,
        100,
      )
    ).body;
    expect(done.recipients.map((r: { handle: string; reply: string }) => `${r.handle}=${r.reply}`)).toEqual(["ann=main: retro at 4", "ops=ops: retro at 4", "rex=research: retro at 4"]);
    expect(gw.received).toEqual(["retro at 4", "retro at 4", "retro at 4"]);
    expect(gw.connections()).toBe(1);
  });

  it("an entry given its own token connects on its own; deleting the source leaves the copies working", async () => {
    const own = await srv.api("PUT", "/api/v1/teammates/rex/token", { token: TOKEN }, { key: admin });
    expect(own.status).toBe(200);
    expect((await send("rex", "own line")).body.exchanges[0].reply).toBe("research: own line");
    await until(() => gw.connections(), (n) => n === 2);
    const del = await srv.api("DELETE", "/api/v1/teammates/ann", undefined, { key: admin });
    expect(del.status).toBe(204);
    // ops connected as ann; with ann gone it uses its own copy of the credentials
    const r = await send("ops", "still there?");
    expect(r.body.exchanges[0]).toMatchObject({ status: "replied", reply: "ops: still there?" });
  });
});

describe("agents sharing a paired device", () => {
  it("pairing approved once on the gateway serves every agent entry added from it", async () => {
    const gw = await startFakeGateway({ token: TOKEN, agents: AGENTS, faults: { pairingRequired: true } });
    const srv = await startTestServer();
    try {
      const admin = await srv.adminKey();
      await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gw.url, token: TOKEN });
      const first = await srv.api("POST", "/api/v1/teammates/ann/pair", undefined, { key: admin });
      expect(first.body.status.state).toBe("pairing_required");
      const [requestId] = gw.pendingPairings();
      gw.approve(requestId as string);
      const paired = await srv.api("POST", "/api/v1/teammates/ann/pair", undefined, { key: admin });
      expect(paired.body.status.state).toBe("online");
      const added = await srv.api("POST", "/api/v1/teammates/ann/agents", { agents: [{ agentId: "research", handle: "rex", name: "Rex" }] }, { key: admin });
      expect(added.status).toBe(201);
      const rex = await srv.api("POST", "/api/v1/teammates/rex/pair", undefined, { key: admin });
      expect(rex.body.status.state).toBe("online");
      expect(gw.pendingPairings()).toEqual([]);
      const devices = new Set(gw.connects.filter((c) => c.ok).map((c) => c.deviceId));
      expect(devices.size).toBe(1);
    } finally {
      await srv.stop();
      await gw.stop();
    }
  });

  it("marks a send as inter-session traffic from its sender when the connection holds operator.admin", async () => {
    const gw = await startFakeGateway({ token: TOKEN, faults: { grantScopes: ["operator.read", "operator.write", "operator.admin"] } });
    const srv = await startTestServer();
    try {
      await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gw.url, token: TOKEN });
      const key = await srv.keyFor("operator");
      const res = await srv.api("POST", "/api/v1/messages", { to: "ann", message: "from the team", fallback: false }, { key });
      expect(res.body.status).toBe("replied");
      expect(gw.chatSends[0]?.provenance).toMatchObject({ kind: "inter_session", sourceChannel: "team-mesh", sourceTool: "team-mesh" });
      expect(String((gw.chatSends[0]?.provenance as { sourceSessionKey: string }).sourceSessionKey)).toMatch(/^team-mesh:key:/);
    } finally {
      await srv.stop();
      await gw.stop();
    }
  });
});
