// Registry API over real HTTP: CRUD, URL policy, tokens (never shown), history, import, sync, whoami.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestServer, until, type ApiResponse, type TestServer } from "../support/server.ts";

const FIX = resolve(import.meta.dirname, "../fixtures/legacy");
const registryJson = () => JSON.parse(readFileSync(join(FIX, "registry.json"), "utf8")) as { agents: Record<string, unknown>[] };
const tokensJson = () => JSON.parse(readFileSync(join(FIX, "tokens.json"), "utf8")) as { tokens: Record<string, string> };
const TOKEN = "gw-token-integration-SECRET-91ab";

describe("teammates API", () => {
  let srv: TestServer;
  let admin: string;
  let auditor: string;
  let requester: string;
  let syncFile: string;
  let dataDir: string;
  const texts: string[] = [];
  const api = async (method: string, path: string, body?: unknown, key = admin): Promise<ApiResponse> => {
    const r = await srv.api(method, path, body, { key });
    texts.push(r.text);
    return r;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "mesh-teammates-"));
    syncFile = join(dataDir, "team-registry.json");
    srv = await startTestServer({ dataDir, env: { MESH_REGISTRY_URL: syncFile } });
    admin = await srv.adminKey();
    auditor = await srv.keyFor("auditor");
    requester = await srv.keyFor("requester");
  });
  afterAll(async () => {
    const all = texts.join("\n");
    expect(all).not.toContain(TOKEN);
    for (const t of Object.values(tokensJson().tokens)) expect(all).not.toContain(t);
    // nor in the database file in clear
    const db = readFileSync(join(srv.dataDir, "team-mesh.db"));
    const wal = (() => {
      try {
        return readFileSync(join(srv.dataDir, "team-mesh.db-wal"));
      } catch {
        return Buffer.alloc(0);
      }
    })();
    expect(Buffer.concat([db, wal]).includes(Buffer.from(TOKEN))).toBe(false);
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("401 without credentials, 403 for a role without teammates:write", async () => {
    expect((await srv.api("GET", "/api/v1/teammates")).status).toBe(401);
    const list = await api("GET", "/api/v1/teammates", undefined, auditor);
    expect(list.status).toBe(200);
    const denied = await api("POST", "/api/v1/teammates", { handle: "x", name: "X" }, requester);
    expect(denied.status).toBe(403);
    expect(denied.body.error.details).toEqual({ needs: "teammates:write", roles: ["admin"] });
    expect((await api("PUT", "/api/v1/whoami", { handle: null }, auditor)).status).toBe(403);
    expect((await api("POST", "/api/v1/teammates/sync", undefined, auditor)).status).toBe(403);
  });

  it("creates, reads, updates and deletes; the token is write-only", async () => {
    const created = await api("POST", "/api/v1/teammates", { handle: "Alice", name: "Alice Martin", gatewayUrl: "ws://127.0.0.1:1", token: TOKEN });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ handle: "alice", name: "Alice Martin", gatewayUrl: "ws://127.0.0.1:1", credential: { set: true }, device: { paired: false }, isMe: false });
    expect(created.body).not.toHaveProperty("token");
    const got = await api("GET", "/api/v1/teammates/ALICE");
    expect(got.status).toBe(200);
    expect(got.body.handle).toBe("alice");
    const patched = await api("PATCH", "/api/v1/teammates/alice", { displayName: "Ali", note: "backend" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ displayName: "Ali", note: "backend" });
    const list = await api("GET", "/api/v1/teammates");
    expect(list.body.items.map((t: { handle: string }) => t.handle)).toContain("alice");
    expect((await api("DELETE", "/api/v1/teammates/alice")).status).toBe(204);
    expect((await api("GET", "/api/v1/teammates/alice")).body.error.code).toBe("TEAMMATE_NOT_FOUND");
    expect((await api("DELETE", "/api/v1/teammates/alice")).status).toBe(404);
  });

  it("400 for a bad body or an insecure gateway URL, 409 for a taken handle, 404 for an unknown one", async () => {
    const insecure = await api("POST", "/api/v1/teammates", { handle: "pub", name: "Public", gatewayUrl: "ws://203.0.113.9:18789" });
    expect(insecure.status).toBe(400);
    expect(insecure.body.error.code).toBe("INSECURE_GATEWAY_URL");
    expect(insecure.body.error.message).toMatch(/wss:\/\//);
    const notWs = await api("POST", "/api/v1/teammates", { handle: "pub", name: "Public", gatewayUrl: "http://10.0.0.1" });
    expect(notWs.status).toBe(400);
    expect(notWs.body.error.code).toBe("VALIDATION_FAILED");
    expect((await api("POST", "/api/v1/teammates", { handle: "bad handle!", name: "x" })).status).toBe(400);
    expect((await api("POST", "/api/v1/teammates", { handle: "dup", name: "Dup" })).status).toBe(201);
    const taken = await api("POST", "/api/v1/teammates", { handle: "DUP", name: "Dup 2" });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("HANDLE_TAKEN");
    const badPatch = await api("PATCH", "/api/v1/teammates/dup", { gatewayUrl: "ws://example.com:18789" });
    expect(badPatch.status).toBe(400);
    expect((await api("PATCH", "/api/v1/teammates/ghost", { note: "x" })).status).toBe(404);
    expect((await api("PUT", "/api/v1/teammates/ghost/token", { token: "x" })).status).toBe(404);
    expect((await api("PUT", "/api/v1/teammates/dup/token", { token: "" })).status).toBe(400);
  });

  it("PUT/DELETE token: credential flag, audited without the value", async () => {
    await api("POST", "/api/v1/teammates", { handle: "tok", name: "Token Holder", gatewayUrl: "ws://127.0.0.1:9" });
    expect((await api("GET", "/api/v1/teammates/tok")).body.status.state).toBe("no_credentials");
    const put = await api("PUT", "/api/v1/teammates/tok/token", { token: TOKEN });
    expect(put.status).toBe(200);
    expect(put.body.credential.set).toBe(true);
    expect(put.body.credential.setAt).not.toBeNull();
    const del = await api("DELETE", "/api/v1/teammates/tok/token");
    expect(del.status).toBe(204);
    expect((await api("GET", "/api/v1/teammates/tok")).body.credential).toEqual({ set: false, setAt: null, lastUsedAt: null });
    const audit = await api("GET", "/api/v1/audit?kind=credential&teammate=tok");
    expect(audit.body.items.map((e: { details: { action: string } }) => e.details.action)).toEqual(["remove", "set"]);
  });

  it("history lists probe results (the app probes after a token change, and a new teammate with a token at once)", async () => {
    await api("POST", "/api/v1/teammates", { handle: "hist", name: "History", gatewayUrl: "ws://127.0.0.1:9", token: TOKEN });
    // the create-time check lands first
    await until(() => api("GET", "/api/v1/teammates/hist/history", undefined, auditor), (r) => r.body.items?.length === 1);
    srv.running!.services.registry.recordProbe(srv.running!.services.registry.byHandle("hist")!.id, {
      state: "unreachable",
      latencyMs: 3,
      paired: false,
      error: { code: "GATEWAY_UNREACHABLE", message: "refused" },
    });
    const h = await api("GET", "/api/v1/teammates/hist/history", undefined, auditor);
    expect(h.status).toBe(200);
    expect(h.body.items).toHaveLength(2);
    expect(h.body.items[0]).toMatchObject({ state: "unreachable", latencyMs: 3, errorCode: "GATEWAY_UNREACHABLE" });
    expect(h.body.items[1]).toMatchObject({ state: "unreachable" });
    expect((await api("GET", "/api/v1/teammates/nobody/history")).status).toBe(404);
  });

  it("imports the legacy files: report, no duplicates on re-import, tokens never echoed", async () => {
    const body = { registry: registryJson(), tokens: tokensJson() };
    const r = await api("POST", "/api/v1/teammates/import", body);
    expect(r.status).toBe(200);
    expect(r.body.created).toEqual(["alice", "bob.stone", "bray", "carol"]);
    expect(r.body.tokensSet.sort()).toEqual(["alice", "bob.stone"]);
    expect(r.body.skipped.map((s: { handle: string }) => s.handle).sort()).toEqual(["alice", "dan", "ghost", "not valid!"]);
    const again = await api("POST", "/api/v1/teammates/import", body);
    expect(again.body.created).toEqual([]);
    expect(again.body.unchanged).toEqual(["alice", "bob.stone", "bray", "carol"]);
    const list = await api("GET", "/api/v1/teammates");
    const handles = list.body.items.map((t: { handle: string }) => t.handle);
    expect(handles.filter((h: string) => h === "alice")).toHaveLength(1);
    const carol = list.body.items.find((t: { handle: string }) => t.handle === "carol");
    expect(carol.status.state).toBe("no_address");
    expect((await api("POST", "/api/v1/teammates/import", { registry: { agents: "nope" } })).status).toBe(400);
  });

  it("sync from MESH_REGISTRY_URL never deletes; a bad source is 502 SYNC_FAILED", async () => {
    writeFileSync(syncFile, JSON.stringify({ agents: [{ emailPrefix: "sync.one", name: "Synced One", ip: "10.1.1.1" }, { emailPrefix: "bray", name: "Bob Ray (synced)", ip: "10.0.0.7" }] }));
    const r = await api("POST", "/api/v1/teammates/sync");
    expect(r.status).toBe(200);
    expect(r.body.created).toEqual(["sync.one"]);
    expect(r.body.updated).toEqual(["bray"]);
    expect(r.body.missing).toContain("alice");
    expect(r.body.source).toBe(syncFile);
    expect((await api("GET", "/api/v1/teammates/alice")).status).toBe(200);
    writeFileSync(syncFile, "{ not json");
    const bad = await api("POST", "/api/v1/teammates/sync");
    expect(bad.status).toBe(502);
    expect(bad.body.error.code).toBe("SYNC_FAILED");
    const audit = await api("GET", "/api/v1/audit?kind=sync");
    expect(audit.body.items.map((e: { outcome: string }) => e.outcome)).toEqual(["failed", "ok"]);
  });

  it("resolution by name happens in sends; ambiguous names answer 409 with candidates", async () => {
    const r = await api("POST", "/api/v1/messages", { to: "bob", message: "hi", dryRun: true });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("AMBIGUOUS_TEAMMATE");
    expect(r.body.error.details.candidates.map((c: { handle: string }) => c.handle).sort()).toEqual(["bob.stone", "bray"]);
  });

  it("whoami: GET/PUT, unknown handle 404, clear with null", async () => {
    expect((await api("GET", "/api/v1/whoami", undefined, auditor)).body).toEqual({ me: null, source: null });
    const set = await api("PUT", "/api/v1/whoami", { handle: "carol" });
    expect(set.status).toBe(200);
    expect(set.body.source).toBe("setting");
    expect(set.body.me).toMatchObject({ handle: "carol", isMe: true });
    expect((await api("PUT", "/api/v1/whoami", { handle: "nobody-here" })).status).toBe(404);
    expect((await api("PUT", "/api/v1/whoami", {})).status).toBe(400);
    const cleared = await api("PUT", "/api/v1/whoami", { handle: null });
    expect(cleared.body).toEqual({ me: null, source: null });
    expect((await api("GET", "/api/v1/audit?kind=settings")).body.items).toHaveLength(2);
  });
});

describe("sync without a source", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => srv?.stop());

  it("409 SYNC_NOT_CONFIGURED; whoami from MESH_MY_EMAIL is not overridden", async () => {
    const key = await srv.adminKey();
    const r = await srv.api("POST", "/api/v1/teammates/sync", undefined, { key });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("SYNC_NOT_CONFIGURED");
  });
});

describe("whoami from the environment", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "Me@example.com" } });
  });
  afterAll(async () => srv?.stop());

  it("env wins over the setting", async () => {
    const key = await srv.adminKey();
    await srv.addTeammate({ handle: "me", name: "Myself" });
    await srv.addTeammate({ handle: "other", name: "Other" });
    expect((await srv.api("PUT", "/api/v1/whoami", { handle: "other" }, { key })).body).toMatchObject({ source: "env", me: { handle: "me", isMe: true } });
    expect((await srv.api("GET", "/api/v1/whoami", undefined, { key })).body.me.handle).toBe("me");
  });
});
