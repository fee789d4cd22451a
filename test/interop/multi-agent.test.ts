// Two agents on one REAL OpenClaw gateway (agents.entries: main and "research", with identities):
// discovery lists both with their names and emojis, and a send to each lands in that agent's own
// session (agent:<agentId>:main) and gets its reply there.
import { createGatewayConnector, createMemoryCredentialStore, type GatewayConnector } from "../../server/gateway/index.ts";
import { startFakeModelServer, type FakeModelServer } from "../support/fake-model-server.ts";
import { OPENCLAW_VERSION, startOpenClawGateway, type RunningGateway } from "../support/openclaw-gateway.ts";

describe("several agents on a real OpenClaw gateway", () => {
  let model: FakeModelServer;
  let gw: RunningGateway;
  let connector: GatewayConnector;
  const creds = createMemoryCredentialStore();
  const to = (agentId: string) => ({ teammateId: 1, url: gw.url, agentId });

  beforeAll(async () => {
    model = await startFakeModelServer();
    gw = await startOpenClawGateway({ modelBaseUrl: model.baseUrl, extraAgents: [{ id: "research", name: "Rex", emoji: "🔬" }] });
    creds.setGatewayToken(1, gw.token);
    connector = createGatewayConnector({ credentials: creds, connectTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await connector?.close();
    await gw?.stop();
    await model?.stop();
  });

  it("discovery lists both agents, with the configured identity", async () => {
    const agents = await connector.listAgents(to("main"));
    expect(agents.map((a) => a.agentId).sort()).toEqual(["main", "research"]);
    expect(agents.find((a) => a.agentId === "research")).toMatchObject({ name: "Rex", emoji: "🔬" });
  });

  // On 2026.7 (and 2026.6) the history rows carry no run id; the late fetch below finds the reply
  // by our own user row instead (reply-matching.ts). It said delivered_no_reply there before.
  it(`a send to each agent gets that agent's reply, in that agent's session (OpenClaw ${OPENCLAW_VERSION})`, async () => {
    const [m, r] = await Promise.all([
      connector.send(to("main"), { sessionKey: "main", message: `for main ${Date.now()}`, timeoutMs: 60_000 }),
      connector.send(to("research"), { sessionKey: "main", message: `for research ${Date.now()}`, timeoutMs: 60_000 }),
    ]);
    expect(m).toMatchObject({ outcome: "replied", reply: expect.stringMatching(/^for main /) });
    expect(r).toMatchObject({ outcome: "replied", reply: expect.stringMatching(/^for research /) });
    // each run used its own agent's workspace: the system prompt the model got names it
    const systemFor = (prefix: string) => model.calls.find((c) => c.text.startsWith(prefix))?.system ?? "";
    expect(systemFor("for research")).toContain("workspace-research");
    expect(systemFor("for main")).not.toContain("workspace-research");
    // and the reply is found again in that agent's session history
    const inResearch = await connector.fetchLateReply(to("research"), { sessionKey: "main", runId: r.runId as string, timeoutMs: 1000 });
    expect(inResearch).toMatchObject({ outcome: "replied", reply: r.reply });
  });

  it("an agent the gateway does not have is refused with a gateway error", async () => {
    const r = await connector.send(to("nobody"), { sessionKey: "main", message: "anyone?", timeoutMs: 20_000 });
    expect(r.outcome).toBe("error");
    expect(r.error?.code).toMatch(/^GATEWAY_/);
  });
});
