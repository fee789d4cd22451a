// Starting from a gateway URL and token (the Team page's "Add and find agents"): the first entry
// is created with the token (stored server-side, never echoed), its gateway's agents are listed,
// an agent id the gateway lacks is moved to the default agent, and the others are added sharing
// the credentials. A wrong token or an unreachable address is a clear error, without the token.
import { createServer } from "node:net";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-from-url-77c1";
const WRONG = "gw-token-wrong-3f0a";

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("agents of a gateway, starting from its URL and token", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let admin: string;
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: admin });

  beforeAll(async () => {
    // no "main" agent: the default is "ops"
    gw = await startFakeGateway({ token: TOKEN, agents: [{ id: "ops", name: "Opsy", emoji: "🛠" }, { id: "research", name: "Rex" }] });
    srv = await startTestServer();
    admin = await srv.adminKey();
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("the first entry finds the others; its agent id moves to the gateway's default agent", async () => {
    const created = await api("POST", "/api/v1/teammates", { handle: "dana", name: "Dana", gatewayUrl: gw.url, token: TOKEN });
    expect(created.status).toBe(201);
    expect(created.body.agentId).toBe("main");
    expect(created.text).not.toContain(TOKEN);

    const found = await api("GET", "/api/v1/teammates/dana/agents");
    expect(found.status).toBe(200);
    expect(found.body.agents.map((a: { agentId: string; isDefault: boolean; teammate: string | null }) => [a.agentId, a.isDefault, a.teammate])).toEqual([
      ["ops", true, null],
      ["research", false, null],
    ]);
    expect(found.text).not.toContain(TOKEN);

    const moved = await api("PATCH", "/api/v1/teammates/dana", { agentId: "ops", agentEmoji: "🛠" });
    expect([moved.status, moved.body.agentId, moved.body.agentEmoji]).toEqual([200, "ops", "🛠"]);
    const again = await api("GET", "/api/v1/teammates/dana/agents");
    expect(again.body.agents.find((a: { agentId: string }) => a.agentId === "ops").teammate).toBe("dana");

    const added = await api("POST", "/api/v1/teammates/dana/agents", { agents: [{ agentId: "research", handle: "dana-research", name: "Rex" }] });
    expect(added.status).toBe(201);
    expect(added.body.items.map((t: { handle: string; agentId: string; credential: { set: boolean } }) => [t.handle, t.agentId, t.credential.set])).toEqual([["dana-research", "research", true]]);
    const ping = await api("POST", "/api/v1/ping", { to: "dana-research" });
    expect(ping.body.teammates[0].status.state).toBe("online");
  });

  it("a wrong token: 502 AUTH_FAILED with a message, the token in no answer or log", async () => {
    await api("POST", "/api/v1/teammates", { handle: "wrong", name: "Wrong", gatewayUrl: gw.url, token: WRONG });
    const res = await api("GET", "/api/v1/teammates/wrong/agents");
    expect([res.status, res.body.error.code]).toEqual([502, "AUTH_FAILED"]);
    expect(res.body.error.message).toMatch(/\w+/);
    expect(res.text).not.toContain(WRONG);
    expect(srv.output()).not.toContain(WRONG);
    expect(srv.output()).not.toContain(TOKEN);
  });

  it("an unreachable address: 502 GATEWAY_UNREACHABLE saying it cannot reach the gateway", async () => {
    await api("POST", "/api/v1/teammates", { handle: "gone", name: "Gone", gatewayUrl: `ws://127.0.0.1:${await closedPort()}`, token: TOKEN });
    const res = await api("GET", "/api/v1/teammates/gone/agents");
    expect([res.status, res.body.error.code]).toEqual([502, "GATEWAY_UNREACHABLE"]);
    expect(res.body.error.message).toContain("Cannot reach the gateway");
    expect(res.text).not.toContain(TOKEN);
  });
});
