// The REST API end to end against REAL OpenClaw gateways: teammates registered through the API
// (tokens into the vault), ping, send with the exact reply, a two-step broadcast that skips
// "me", and the audit trail that records all of it.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startFakeModelServer, type FakeModelServer } from "../support/fake-model-server.ts";
import { OPENCLAW_VERSION, startOpenClawGateway, type RunningGateway } from "../support/openclaw-gateway.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

describe("REST API ↔ real OpenClaw gateways", () => {
  let model: FakeModelServer;
  let alice: RunningGateway;
  let bob: RunningGateway;
  let srv: TestServer;
  let key: string;

  beforeAll(async () => {
    model = await startFakeModelServer();
    alice = await startOpenClawGateway({ modelBaseUrl: model.baseUrl });
    bob = await startOpenClawGateway({ modelBaseUrl: model.baseUrl }); // one after another
    // "me" is carol: a teammate with an address and a token, who must never get a broadcast.
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "carol@example.com" } });
    key = await srv.adminKey();
    await srv.addTeammate({ handle: "alice", name: "Alice Liddell", gatewayUrl: alice.url, token: alice.token });
    await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: bob.url, token: bob.token });
    await srv.addTeammate({ handle: "carol", name: "Carol Me", gatewayUrl: alice.url, token: alice.token });
    await srv.addTeammate({ handle: "dave", name: "Dave NoAddress" });
  });

  afterAll(async () => {
    await srv?.stop();
    await alice?.stop();
    await bob?.stop();
    await model?.stop();
  });

  it("pings: the real gateways are online with their version and write scope", async () => {
    const res = await srv.api("POST", "/api/v1/ping", {}, { key });
    expect(res.status).toBe(200);
    const byHandle = Object.fromEntries(res.body.teammates.map((t: { handle: string }) => [t.handle, t]));
    expect(byHandle.alice.status).toMatchObject({ state: "online", version: OPENCLAW_VERSION });
    expect(byHandle.alice.status.scopes).toEqual(expect.arrayContaining(["operator.write"]));
    expect(byHandle.bob.status.state).toBe("online");
    expect(byHandle.dave.status.state).toBe("no_address");
    expect(byHandle.alice.credential.set).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(alice.token);
  });

  it("sends to one agent by name and returns that agent's exact reply", async () => {
    const message = `Status update please — ünïcödé <b>ok</b> ${Date.now()}`;
    const res = await srv.api("POST", "/api/v1/messages", { to: "Builder", message, timeoutSec: 90 }, { key });
    expect(res.status).toBe(200);
    expect(res.body.to.handle).toBe("bob");
    expect(res.body.status).toBe("replied");
    expect(res.body.exchanges[0].reply).toBe(message);
    expect(res.body.exchanges[0].runId).toBeTruthy();
    expect(model.requests).toContain(message);
  });

  it("runs several rounds, each reply becoming the next message", async () => {
    const res = await srv.api("POST", "/api/v1/messages", { to: "alice", message: "echo chain", rounds: 2, session: "rounds-test", timeoutSec: 90 }, { key });
    expect(res.status).toBe(200);
    expect(res.body.exchanges).toHaveLength(2);
    expect(res.body.exchanges.map((e: { status: string }) => e.status)).toEqual(["replied", "replied"]);
    expect(res.body.exchanges[1].message).toBe(res.body.exchanges[0].reply);
  });

  it("broadcasts only after confirmation, to everyone with an address and credentials but me", async () => {
    const text = `All hands: broadcast ${Date.now()}`;
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: text, timeoutSec: 90 }, { key });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe("awaiting_confirmation");
    expect(created.body.recipients.map((r: { handle: string }) => r.handle).sort()).toEqual(["alice", "bob"]);
    const skipped = Object.fromEntries(created.body.skipped.map((s: { handle: string; reason: string }) => [s.handle, s.reason]));
    expect(skipped).toEqual({ carol: "self", dave: "no_address" });
    expect(model.requests).not.toContain(text); // nothing left before the click

    const confirmed = await srv.api(
      "POST",
      `/api/v1/broadcasts/${created.body.id}/confirm`,
      { token: created.body.confirmationToken, wait: true },
      { key },
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.state).toBe("completed");
    for (const r of confirmed.body.recipients) {
      expect(r.status).toBe("replied");
      expect(r.reply).toBe(text);
    }
    expect(model.requests.filter((m) => m === text)).toHaveLength(2);

    const again = await srv.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken }, { key });
    expect(again.status).toBe(409);
    expect(model.requests.filter((m) => m === text)).toHaveLength(2);
  });

  it("records every send in a verifiable audit trail, searchable by text", async () => {
    const page = await srv.api("GET", "/api/v1/audit?kind=send,broadcast&limit=100", undefined, { key });
    expect(page.status).toBe(200);
    const sends = page.body.items.filter((e: { outcome: string }) => e.outcome === "replied");
    expect(sends.length).toBeGreaterThanOrEqual(5); // 1 send + 2 rounds + 2 broadcast recipients
    for (const e of sends) {
      expect(e.reply).toBe(e.message);
      expect(e.runId).toBeTruthy();
      expect(e.gatewayUrl).toMatch(/^ws:\/\/127\.0\.0\.1:/);
    }
    expect(page.body.items.some((e: { outcome: string }) => e.outcome === "pending")).toBe(false);
    const found = await srv.api("GET", "/api/v1/audit?q=hands", undefined, { key });
    expect(found.body.items.length).toBeGreaterThanOrEqual(2);
    const verify = await srv.api("GET", "/api/v1/audit/verify", undefined, { key });
    expect(verify.body).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it("a stopped gateway costs its recipient a clear error, not the broadcast", async () => {
    await bob.stop();
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "after bob left", timeoutSec: 30 }, { key });
    const done = await srv.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken, wait: true }, { key });
    const byHandle = Object.fromEntries(done.body.recipients.map((r: { handle: string }) => [r.handle, r]));
    expect(byHandle.alice.status).toBe("replied");
    expect(byHandle.bob.status).toBe("unreachable");
    expect(byHandle.bob.error.code).toBe("GATEWAY_UNREACHABLE");
  });

  it("keeps every gateway credential out of the database file and the logs", () => {
    const files = readdirSync(srv.dataDir).filter((f) => f.startsWith("team-mesh.db"));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(join(srv.dataDir, f));
      expect(bytes.includes(Buffer.from(alice.token))).toBe(false);
      expect(bytes.includes(Buffer.from(bob.token))).toBe(false);
    }
    expect(srv.output()).not.toContain(alice.token);
    expect(srv.output()).not.toContain(bob.token);
  });
});
