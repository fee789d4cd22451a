// Two teammate entries that point to one gateway: sends to one session are serialized by gateway
// address (not by teammate), so each gets its own reply; the API and dashboard warn about the sharing.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-shared-7a1c";

describe("teammates sharing one gateway", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let other: FakeGateway;
  let operator: string;

  beforeAll(async () => {
    // runs long enough that two unserialized sends always overlap (the second is steered, no reply)
    gw = await startFakeGateway({ token: TOKEN, replyDelayMs: 1500, reply: (m) => `ack ${m}` });
    other = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ env: { MESH_BROADCAST_CONCURRENCY: "4" } });
    operator = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "ben", name: "Ben", gatewayUrl: `${gw.url}/`, token: TOKEN });
    await srv.addTeammate({ handle: "cat", name: "Cat", gatewayUrl: other.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await Promise.all([gw.stop(), other.stop()]);
  });

  it("a broadcast gets each teammate on the shared gateway its own reply", async () => {
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "standup at 10", timeoutSec: 20 }, { key: operator });
    expect(created.status).toBe(201);
    const b = created.body;
    const ok = await srv.api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken }, { key: operator });
    expect(ok.status).toBe(202);
    const done = (
      await until(
        () => srv.api("GET", `/api/v1/broadcasts/${b.id}`, undefined, { key: operator }),
        (r) => r.body.state === "completed",
        60_000,
        100,
      )
    ).body;
    expect(done.recipients.map((r: { handle: string; status: string; reply: string | null }) => `${r.handle}:${r.status}:${r.reply}`)).toEqual([
      "ann:replied:ack standup at 10",
      "ben:replied:ack standup at 10",
      "cat:replied:standup at 10",
    ]);
    expect(gw.received).toEqual(["standup at 10", "standup at 10"]);
  });

  it("the teammate API names the others on the same gateway", async () => {
    const list = await srv.api("GET", "/api/v1/teammates", undefined, { key: operator });
    expect(list.status).toBe(200);
    const shared = Object.fromEntries(list.body.items.map((t: { handle: string; sharedGatewayWith: string[] }) => [t.handle, t.sharedGatewayWith]));
    expect(shared).toEqual({ ann: ["ben"], ben: ["ann"], cat: [] });
    const one = await srv.api("GET", "/api/v1/teammates/ann", undefined, { key: operator });
    expect(one.body.sharedGatewayWith).toEqual(["ben"]);
  });
});
