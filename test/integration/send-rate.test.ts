// Send rate limits on the real server: 429 RATE_LIMITED with Retry-After and the limit named,
// the window resetting, and two servers on one database file sharing the counters.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-rate-93d0";

describe("send rate limits", () => {
  let gw: FakeGateway;
  let dir: string;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: () => "ok" });
    dir = mkdtempSync(join(tmpdir(), "team-mesh-rate-"));
    const env = { MESH_RATE_SENDER_MAX: "4", MESH_RATE_RECIPIENT_MAX: "3", MESH_RATE_WINDOW_SEC: "2" };
    a = await startTestServer({ dataDir: dir, env });
    await a.addTeammate({ handle: "bob", gatewayUrl: gw.url, token: TOKEN });
    await a.addTeammate({ handle: "cat", gatewayUrl: gw.url, token: TOKEN });
    // a second server on the same data dir: same database file, same vault key file (keys come from a: one table)
    b = await startTestServer({ dataDir: dir, env });
  });
  afterAll(async () => {
    await b.stop();
    await a.stop();
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits for the start of a fresh 2-second window, so a test's sends all fall in one. */
  const freshWindow = async () => {
    const ms = 2000 - (Date.now() % 2000);
    await new Promise((r) => setTimeout(r, ms + 20));
  };

  it("per recipient, shared by two servers on one database: the 4th message to bob in a window is refused with 429 + Retry-After", async () => {
    const keyA = await a.keyFor("operator");
    const keyB = await a.keyFor("admin");
    await freshWindow();
    expect((await a.api("POST", "/api/v1/messages", { to: "bob", message: "one" }, { key: keyA })).status).toBe(200);
    expect((await b.api("POST", "/api/v1/messages", { to: "bob", message: "two" }, { key: keyB })).status).toBe(200);
    expect((await a.api("POST", "/api/v1/messages", { to: "bob", message: "three" }, { key: keyA })).status).toBe(200);
    const refused = await b.api("POST", "/api/v1/messages", { to: "bob", message: "four" }, { key: keyB });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^[12]$/);
    expect(refused.body.error).toMatchObject({ code: "RATE_LIMITED", details: { limit: 3, scope: "recipient", key: "bob", retryAfterSeconds: expect.any(Number) } });
    expect(refused.body.error.message).toContain("3 messages per 2 s");
    // dry runs count nothing and are never refused
    expect((await a.api("POST", "/api/v1/messages", { to: "bob", message: "preview", dryRun: true }, { key: keyA })).status).toBe(200);
    // the window resets
    await freshWindow();
    expect((await b.api("POST", "/api/v1/messages", { to: "bob", message: "five" }, { key: keyB })).status).toBe(200);
  });

  it("per sender (the API key), across recipients; rounds count each", async () => {
    const key = await a.keyFor("requester");
    await freshWindow();
    expect((await a.api("POST", "/api/v1/messages", { to: "bob", message: "x", rounds: 2 }, { key })).status).toBe(200);
    expect((await b.api("POST", "/api/v1/messages", { to: "cat", message: "y", rounds: 2 }, { key })).status).toBe(200);
    const refused = await a.api("POST", "/api/v1/messages", { to: "cat", message: "z" }, { key });
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({ limit: 4, scope: "sender", key: expect.stringMatching(/^key:/) });
    // a refused send counted nothing against cat: another sender may still reach cat once
    expect((await a.api("POST", "/api/v1/messages", { to: "cat", message: "w" }, { key: await a.keyFor("operator") })).status).toBe(200);
  });

  it("a broadcast counts once per recipient when it is confirmed", async () => {
    const key = await a.keyFor("operator");
    await freshWindow();
    for (const m of ["p", "q", "r"]) expect((await a.api("POST", "/api/v1/messages", { to: "bob", message: m }, { key: await a.adminKey() })).status).toBe(200);
    const created = await a.api("POST", "/api/v1/broadcasts", { message: "all hands" }, { key });
    expect(created.status).toBe(201);
    const confirm = await b.api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken, wait: true }, { key: await a.keyFor("operator") });
    expect(confirm.status).toBe(429);
    expect(confirm.body.error.details).toMatchObject({ scope: "recipient", key: "bob" });
    // still awaiting: the refused confirm changed nothing
    expect((await a.api("GET", `/api/v1/broadcasts/${created.body.id}`, undefined, { key })).body.state).toBe("awaiting_confirmation");
  });
});
