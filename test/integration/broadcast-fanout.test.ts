// Broadcast fan-out at the default settings: every recipient is sent to at once, so a broadcast
// takes one reply time, not N / cap of them. Shown by overlap, not time: each fake gateway holds
// its run until released, and all 40 must have the message before any run may finish. Sends to
// one (gateway address, session) still go one after the other. The cap, when set, holds.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-fanout-3b9e";
const N = 40;

async function team(srv: TestServer, gws: FakeGateway[], prefix: string) {
  for (const [i, g] of gws.entries()) await srv.addTeammate({ handle: `${prefix}${i}`, name: `Fan ${prefix}${i}`, gatewayUrl: g.url, token: TOKEN });
}

async function broadcast(srv: TestServer, key: string, message: string): Promise<string> {
  const created = await srv.api("POST", "/api/v1/broadcasts", { message, timeoutSec: 120 }, { key });
  expect(created.status, created.text).toBe(201);
  const confirmed = await srv.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken }, { key });
  expect(confirmed.status, confirmed.text).toBe(202);
  return created.body.id as string;
}

const settle = (srv: TestServer, key: string, id: string) =>
  until(
    () => srv.api("GET", `/api/v1/broadcasts/${id}`, undefined, { key }),
    (r) => r.body.state === "completed",
    60_000,
  );

describe("broadcast fan-out", () => {
  const gws: FakeGateway[] = [];
  afterEach(async () => {
    for (const g of gws) g.finishRuns();
    await Promise.all(gws.splice(0).map((g) => g.stop()));
  });

  it("default: all 40 recipients have the message before any run finishes, each exactly once", async () => {
    for (let i = 0; i < N; i++) gws.push(await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}`, faults: { holdRuns: true } }));
    const srv = await startTestServer();
    try {
      const op = await srv.keyFor("operator");
      await team(srv, gws, "f");
      const id = await broadcast(srv, op, "all at once please");
      // nothing has finished (every run is held) and yet every gateway has the message
      await until(() => gws.filter((g) => g.received.length > 0).length, (n) => n === N, 30_000);
      for (const g of gws) g.finishRuns();
      const done = await settle(srv, op, id);
      expect(done.body.recipients).toHaveLength(N);
      for (const r of done.body.recipients) expect(r.status, r.handle).toBe("replied");
      for (const g of gws) expect(g.received).toEqual(["all at once please"]);
    } finally {
      await srv.stop();
    }
  });

  it("a cap, when set, holds: never more than 3 runs going at once", async () => {
    for (let i = 0; i < 6; i++) gws.push(await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}`, faults: { holdRuns: true } }));
    const srv = await startTestServer({ env: { MESH_BROADCAST_CONCURRENCY: "3" } });
    try {
      const op = await srv.keyFor("operator");
      await team(srv, gws, "c");
      const id = await broadcast(srv, op, "three at a time");
      const have = () => gws.filter((g) => g.received.length > 0).length;
      await until(have, (n) => n === 3, 30_000);
      // the other three wait for a free slot: release the first wave, then the second arrives
      const settledFirst = await srv.api("GET", `/api/v1/broadcasts/${id}`, undefined, { key: op });
      expect(settledFirst.body.recipients.filter((r: { status: string }) => r.status === "queued")).toHaveLength(3);
      for (const g of gws) g.finishRuns();
      await until(have, (n) => n === 6, 30_000);
      for (const g of gws) g.finishRuns();
      const done = await settle(srv, op, id);
      for (const r of done.body.recipients) expect(r.status).toBe("replied");
    } finally {
      await srv.stop();
    }
  });
});
