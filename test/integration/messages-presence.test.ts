// Presence: GET /status, POST /ping, POST /teammates/{handle}/pair.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-presence-6f6f";

describe("presence", () => {
  let srv: TestServer;
  let up: FakeGateway;
  let pairing: FakeGateway;
  let key: string;
  beforeAll(async () => {
    up = await startFakeGateway({ token: TOKEN });
    pairing = await startFakeGateway({ token: TOKEN, faults: { pairingRequired: true } });
    srv = await startTestServer({ env: { MESH_PING_CONCURRENCY: "2", MESH_PING_TIMEOUT_SEC: "3" } });
    key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "up", name: "Up", gatewayUrl: up.url, token: TOKEN });
    await srv.addTeammate({ handle: "down", name: "Down", gatewayUrl: "ws://127.0.0.1:9", token: TOKEN });
    await srv.addTeammate({ handle: "bad-token", name: "Bad Token", gatewayUrl: up.url, token: "wrong-token" });
    await srv.addTeammate({ handle: "no-addr", name: "No Address", gatewayUrl: null });
    await srv.addTeammate({ handle: "no-cred", name: "No Credentials", gatewayUrl: up.url });
    await srv.addTeammate({ handle: "pair", name: "Needs Pairing", gatewayUrl: pairing.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await up.stop();
    await pairing.stop();
  });

  it("adding a teammate with a token and an address checks it at once; status then shows it without probing", async () => {
    const checked = (r: { body: { teammates: { handle: string; status: { checkedAt: string | null } }[] } }) =>
      Object.fromEntries(r.body.teammates.map((t) => [t.handle, t.status.checkedAt !== null]));
    const res = await until(
      () => srv.api("GET", "/api/v1/status", undefined, { key }),
      (r) => ["up", "down", "bad-token", "pair"].every((h) => checked(r)[h]),
    );
    expect(res.status).toBe(200);
    // no address or no token: nothing to check
    expect(checked(res)).toEqual({ up: true, down: true, "bad-token": true, "no-addr": false, "no-cred": false, pair: true });
    // the create-time checks are not `ping` requests: no ping audit entry
    expect((await srv.api("GET", "/api/v1/audit?kind=ping", undefined, { key })).body.items).toHaveLength(0);
    const before = up.connects.length;
    await srv.api("GET", "/api/v1/status", undefined, { key });
    expect(up.connects.length).toBe(before);
  });

  it("ping everyone: each state, no network call for no address / no credentials, one audit entry", async () => {
    const connectsBefore = up.connects.length;
    const res = await srv.api("POST", "/api/v1/ping", {}, { key });
    expect(res.status).toBe(200);
    const states = Object.fromEntries(res.body.teammates.map((t: { handle: string; status: { state: string } }) => [t.handle, t.status.state]));
    expect(states).toEqual({
      up: "online",
      down: "unreachable",
      "bad-token": "auth_failed",
      "no-addr": "no_address",
      "no-cred": "no_credentials",
      pair: "pairing_required",
    });
    // bad-token logs in to `up` again (a manual ping may try an auth_failed gateway once); `up`
    // reuses the connection its create-time check opened; no-cred (no token) never connects
    expect(up.connects.length - connectsBefore).toBe(1);
    const audit = await srv.api("GET", "/api/v1/audit?kind=ping", undefined, { key });
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ outcome: "failed", details: { count: 6, states } });
    const status = await srv.api("GET", "/api/v1/status", undefined, { key });
    expect(status.body.teammates.find((t: { handle: string }) => t.handle === "up").status.state).toBe("online");
  });

  it("a new token drops the teammate's connection and probes again", async () => {
    const admin = await srv.adminKey();
    const res = await srv.api("PUT", "/api/v1/teammates/bad-token/token", { token: TOKEN }, { key: admin });
    expect(res.status).toBe(200);
    const after = await until(
      () => srv.api("GET", "/api/v1/teammates/bad-token", undefined, { key }),
      (r) => r.body.status.state === "online",
    );
    expect(after.body.credential.set).toBe(true);
    const audit = await srv.api("GET", "/api/v1/audit?kind=ping&teammate=bad-token", undefined, { key });
    expect(audit.body.items[0]).toMatchObject({ actor: expect.stringMatching(/^key:/), outcome: "ok" });
  });

  it("pairing: entering and leaving pairing_required are audited; pair shows the request", async () => {
    const first = await srv.api("POST", "/api/v1/teammates/pair/pair", undefined, { key: await srv.adminKey() });
    expect(first.status).toBe(200);
    expect(first.body.status.state).toBe("pairing_required");
    const requestId = first.body.status.pairing?.requestId as string;
    expect(requestId).toEqual(expect.any(String));
    pairing.approve(requestId);
    const second = await srv.api("POST", "/api/v1/teammates/pair/pair", undefined, { key: await srv.adminKey() });
    expect(second.body.status.state).toBe("online");
    const audit = await srv.api("GET", "/api/v1/audit?kind=pairing&teammate=pair", undefined, { key });
    const outcomes = audit.body.items.map((e: { outcome: string; details: { to: string } }) => `${e.outcome}:${e.details.to}`).reverse();
    expect(outcomes).toEqual(["pairing_required:pairing_required", "ok:online"]);
  });

  it("a new gateway URL drops the device token the old gateway issued: it is never presented at the new address", async () => {
    const admin = await srv.adminKey();
    const get = async () => (await srv.api("GET", "/api/v1/teammates/pair", undefined, { key: admin })).body;
    for (let i = 0; i < 3 && !(await get()).device.paired; i++) {
      // approve this dashboard's device if the pairing test above did not; a probe collects the token
      const probe = await srv.api("POST", "/api/v1/teammates/pair/pair", undefined, { key: admin });
      const requestId = probe.body.status.pairing?.requestId as string | undefined;
      if (requestId) pairing.approve(requestId);
    }
    expect((await get()).device.paired).toBe(true);
    // an edit that keeps the URL keeps the device token
    expect((await srv.api("PATCH", "/api/v1/teammates/pair", { note: "still here" }, { key: admin })).body.device.paired).toBe(true);
    const moved = await startFakeGateway({ token: TOKEN });
    try {
      const patched = await srv.api("PATCH", "/api/v1/teammates/pair", { gatewayUrl: moved.url }, { key: admin });
      expect(patched.status).toBe(200);
      expect(patched.body.device.paired).toBe(false);
      const probe = await srv.api("POST", "/api/v1/teammates/pair/pair", undefined, { key: admin });
      expect(probe.body.status.state).toBe("online");
      expect(moved.connects.length).toBeGreaterThan(0);
      expect(moved.connects.map((c) => c.auth)).not.toContain("device-token");
      const audit = await srv.api("GET", "/api/v1/audit?kind=registry&teammate=pair", undefined, { key: admin });
      expect(audit.body.items[0].details).toMatchObject({ action: "update", changed: ["gatewayUrl"], deviceTokenDropped: true });
    } finally {
      await srv.api("PATCH", "/api/v1/teammates/pair", { gatewayUrl: pairing.url }, { key: admin });
      await moved.stop();
    }
  });

  it("ping one by name; unknown and forbidden callers", async () => {
    const one = await srv.api("POST", "/api/v1/ping", { to: "Up", timeoutSec: 2 }, { key });
    expect(one.body.teammates).toHaveLength(1);
    expect(one.body.teammates[0].status.state).toBe("online");
    expect((await srv.api("POST", "/api/v1/ping", { to: "ghost" }, { key })).status).toBe(404);
    expect((await srv.api("POST", "/api/v1/teammates/ghost/pair", undefined, { key: await srv.adminKey() })).status).toBe(404);
    // pair needs teammates:write (operators do not have it)
    expect((await srv.api("POST", "/api/v1/teammates/up/pair", undefined, { key })).status).toBe(403);
    expect((await srv.api("POST", "/api/v1/ping", {}, { key: await srv.keyFor("auditor") })).status).toBe(403);
  });
});
