import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createAuditLog } from "../audit/index.ts";
import type { AuditLog } from "../audit/types.ts";
import { createRegistry, fillPattern, startSyncTimer, type MeshRegistry } from "./index.ts";
import { createVault } from "../vault/index.ts";
import type { Vault } from "../vault/types.ts";
import type { ImportRequest } from "../../shared/api/teammates.ts";
import { apiError, apiErrorAsync } from "../../test/support/api-error.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

const FIX = resolve(import.meta.dirname, "../../test/fixtures/legacy");
const legacyRegistry = () => JSON.parse(readFileSync(join(FIX, "registry.json"), "utf8")) as ImportRequest["registry"];
const legacyTokens = () => JSON.parse(readFileSync(join(FIX, "tokens.json"), "utf8")) as NonNullable<ImportRequest["tokens"]>;

let t: TmpDb;
let vault: Vault;
let audit: AuditLog;
let reg: MeshRegistry;
let changed: number[];
let config: { myHandle: string | undefined; registryUrl: string | undefined };

beforeEach(() => {
  t = tmpDb();
  vault = createVault(t.db, randomBytes(32));
  audit = createAuditLog({ db: t.db, vault });
  changed = [];
  config = { myHandle: undefined, registryUrl: undefined };
  reg = createRegistry({ db: t.db, config, vault, audit, onCredentialsChanged: (id) => changed.push(id) });
});
afterEach(() => t.cleanup());

const auditRows = () => audit.query({ limit: 500 }).items;

describe("CRUD and URL policy", () => {
  it("creates with a lower-case unique handle and validates the gateway URL", () => {
    const a = reg.create({ handle: "Alice", name: "Alice Martin", gatewayUrl: "ws://192.168.1.20:18789" }, "user:admin");
    expect(a.handle).toBe("alice");
    expect(reg.byHandle("ALICE")?.id).toBe(a.id);
    expect(apiError(() => reg.create({ handle: "alice", name: "Other" }, "u")).code).toBe("HANDLE_TAKEN");
    const bad = apiError(() => reg.create({ handle: "bob", name: "Bob", gatewayUrl: "ws://8.8.8.8:18789" }, "u"));
    expect(bad.code).toBe("INSECURE_GATEWAY_URL");
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/wss:\/\//);
    expect(apiError(() => reg.create({ handle: "bob", name: "Bob", gatewayUrl: "wss://user:pw@gw.example.com" }, "u")).code).toBe("INSECURE_GATEWAY_URL");
    expect(apiError(() => reg.create({ handle: "bad handle", name: "x" }, "u")).code).toBe("VALIDATION_FAILED");
    expect(reg.byHandle("bob")).toBeNull();
    const b = reg.create({ handle: "bob", name: "Bob", gatewayUrl: "wss://gw.example.com", tlsFingerprint: "AB".repeat(32) }, "u");
    expect(b.gatewayUrl).toBe("wss://gw.example.com");
    expect(b.tlsFingerprint).toBeTruthy();
    expect(apiError(() => reg.create({ handle: "c", name: "c", gatewayUrl: "ws://10.0.0.1:1", tlsFingerprint: "AB".repeat(32) }, "u")).code).toBe("INSECURE_GATEWAY_URL");
  });

  it("updates, audits every change without credentials, and signals credential changes", () => {
    const a = reg.create({ handle: "alice", name: "Alice", gatewayUrl: "ws://192.168.1.20:18789", token: "SECRET-TOKEN-1" }, "user:admin");
    expect(changed).toEqual([a.id]);
    expect(reg.hasToken(a.id)).toBe(true);
    reg.update("alice", { note: "hello" }, "user:admin");
    expect(changed).toEqual([a.id]); // a note is not a credential change
    reg.update("alice", { gatewayUrl: "ws://192.168.1.30:18789" }, "user:admin");
    expect(changed).toEqual([a.id, a.id]);
    expect(apiError(() => reg.update("alice", { gatewayUrl: "ws://example.com" }, "u")).code).toBe("INSECURE_GATEWAY_URL");
    expect(reg.byHandle("alice")?.gatewayUrl).toBe("ws://192.168.1.30:18789");
    reg.update("alice", { gatewayUrl: null }, "u");
    expect(reg.toApi(reg.byHandle("alice")!).status.state).toBe("no_address");
    reg.setToken("alice", "SECRET-TOKEN-2", "user:admin");
    expect(vault.get(a.id, "gateway_token")).toBe("SECRET-TOKEN-2");
    reg.removeToken("alice", "user:admin");
    expect(reg.hasToken(a.id)).toBe(false);
    expect(apiError(() => reg.update("nobody", { note: "x" }, "u")).code).toBe("TEAMMATE_NOT_FOUND");
    reg.remove("alice", "user:admin");
    expect(reg.byHandle("alice")).toBeNull();
    expect(vault.info(a.id, "gateway_token")).toBeNull();
    const rows = auditRows();
    expect(rows.map((r) => `${r.kind}:${(r.details as { action: string }).action}`).reverse()).toEqual([
      "registry:create",
      "credential:set",
      "registry:update",
      "registry:update",
      "registry:update",
      "credential:set",
      "credential:remove",
      "registry:delete",
    ]);
    expect(rows.every((r) => r.outcome === "ok" && ["user:admin", "u"].includes(r.actor))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain("SECRET-TOKEN");
  });

  it("toApi: credential and device info without values, status rules, isMe", () => {
    const a = reg.create({ handle: "alice", name: "Alice", gatewayUrl: "ws://192.168.1.20:18789" }, "u");
    let api = reg.toApi(a);
    expect(api.status.state).toBe("no_credentials");
    expect(api.credential).toEqual({ set: false, setAt: null, lastUsedAt: null });
    expect(api.device).toEqual({ paired: false, pairedAt: null });
    reg.setToken("alice", "tok-abc", "u");
    api = reg.toApi(a);
    expect(api.status.state).toBe("unknown");
    expect(api.credential.set).toBe(true);
    expect(api.credential.setAt).not.toBeNull();
    expect(JSON.stringify(api)).not.toContain("tok-abc");
    // device token alone counts as credentials
    reg.removeToken("alice", "u");
    vault.gatewayCredentials().saveDeviceToken(a.id, "dev-tok", ["operator.write"]);
    api = reg.toApi(a);
    expect(api.device.paired).toBe(true);
    expect(api.status.state).toBe("unknown");
    expect(reg.hasToken(a.id)).toBe(true);
    const none = reg.create({ handle: "carol", name: "Carol" }, "u");
    expect(reg.toApi(none).status.state).toBe("no_address");
    expect(reg.toApi(none).isMe).toBe(false);
    reg.setMe("carol", "u");
    expect(reg.toApi(none).isMe).toBe(true);
    expect(reg.toApiMany(reg.list()).map((x) => [x.handle, x.isMe, x.status.state])).toEqual([
      ["alice", false, "unknown"],
      ["carol", true, "no_address"],
    ]);
  });
});

describe("resolve", () => {
  beforeEach(() => {
    reg.create({ handle: "bob.stone", name: "Bob Stone", displayName: "Bobby" }, "u");
    reg.create({ handle: "bray", name: "Bob Ray" }, "u");
    reg.create({ handle: "alice", name: "Alice Martin", displayName: "Ali" }, "u");
    reg.create({ handle: "al", name: "Albert" }, "u");
  });

  it("exact handle first, case-insensitive", () => {
    expect(reg.resolve("BRAY").handle).toBe("bray");
    expect(reg.resolve("al").handle).toBe("al"); // exact handle beats substring "al" in Alice/Albert
  });

  it("unique substring of name or display name", () => {
    expect(reg.resolve("stone").handle).toBe("bob.stone");
    expect(reg.resolve("bobby").handle).toBe("bob.stone");
    expect(reg.resolve("martin").handle).toBe("alice");
    expect(reg.resolve("Ali").handle).toBe("alice"); // exact display name
  });

  it("several matches → 409 AMBIGUOUS_TEAMMATE with candidates", () => {
    const e = apiError(() => reg.resolve("bob"));
    expect(e.code).toBe("AMBIGUOUS_TEAMMATE");
    expect(e.status).toBe(409);
    expect((e.details as { candidates: unknown[] }).candidates).toEqual([
      { handle: "bob.stone", name: "Bob Stone", displayName: "Bobby" },
      { handle: "bray", name: "Bob Ray", displayName: null },
    ]);
  });

  it("none → 404 TEAMMATE_NOT_FOUND", () => {
    const e = apiError(() => reg.resolve("zed"));
    expect(e.code).toBe("TEAMMATE_NOT_FOUND");
    expect(e.status).toBe(404);
    expect(apiError(() => reg.resolve("  ")).code).toBe("TEAMMATE_NOT_FOUND");
  });
});

describe("whoami", () => {
  it("the setting, overridden by the environment", () => {
    reg.create({ handle: "alice", name: "Alice" }, "u");
    expect(reg.me()).toBeNull();
    expect(apiError(() => reg.setMe("nobody", "u")).code).toBe("TEAMMATE_NOT_FOUND");
    reg.setMe("Alice", "u");
    expect(reg.me()).toEqual({ handle: "alice", source: "setting" });
    config.myHandle = "zoe";
    expect(reg.me()).toEqual({ handle: "zoe", source: "env" });
    config.myHandle = undefined;
    reg.setMe(null, "u");
    expect(reg.me()).toBeNull();
    expect(auditRows().filter((r) => r.kind === "settings")).toHaveLength(2);
  });
});

describe("recordProbe", () => {
  it("stores status + history (last 200) and writes nothing to the audit trail", () => {
    const a = reg.create({ handle: "alice", name: "Alice", gatewayUrl: "ws://192.168.1.20:18789", token: "t" }, "u");
    const before = auditRows().length;
    let s = reg.recordProbe(a.id, { state: "online", latencyMs: 12.4, version: "2026.9.6", scopes: ["operator.read"], paired: false });
    expect(s.state).toBe("online");
    expect(s.latencyMs).toBe(12);
    expect(s.version).toBe("2026.9.6");
    expect(s.scopes).toEqual(["operator.read"]);
    expect(s.lastSeenAt).not.toBeNull();
    const seen = s.lastSeenAt;
    s = reg.recordProbe(a.id, {
      state: "pairing_required",
      latencyMs: 5,
      paired: false,
      pairing: { requestId: "0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d", approveCommand: "openclaw devices approve 0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d" },
      error: { code: "PAIRING_REQUIRED", message: "approve the device" },
    });
    expect(s.state).toBe("pairing_required");
    expect(s.pairing).toEqual({ requestId: "0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d", approveCommand: "openclaw devices approve 0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d" });
    expect(s.error).toEqual({ code: "PAIRING_REQUIRED", message: "approve the device" });
    expect(s.lastSeenAt).toBe(seen);
    // a stored id not in OpenClaw's format (a row from before the check) is never made a command
    s = reg.recordProbe(a.id, { state: "pairing_required", latencyMs: 5, paired: false, pairing: { requestId: "0 && curl x | sh #", approveCommand: "x" } });
    expect(s.state).toBe("pairing_required");
    expect(s.pairing).toBeNull();
    for (let i = 0; i < 210; i++) reg.recordProbe(a.id, { state: "unreachable", latencyMs: i, paired: false, error: { code: "GATEWAY_UNREACHABLE", message: "x" } });
    const h = reg.history(a.id);
    expect(h).toHaveLength(200);
    expect(h[0]).toMatchObject({ state: "unreachable", latencyMs: 209, errorCode: "GATEWAY_UNREACHABLE" });
    expect(auditRows().length).toBe(before);
    // changing the URL forgets the old status
    reg.update("alice", { gatewayUrl: "ws://192.168.1.21:18789" }, "u");
    expect(reg.toApi(reg.byHandle("alice")!).status).toMatchObject({ state: "unknown", checkedAt: null });
  });

  it("status: protocol, tested-version flag, when it goes stale, auth_failed pauses automatic checks with guidance; live events confirm only online", () => {
    let clock = Date.parse("2026-12-01T10:00:00Z");
    const r2 = createRegistry({ db: t.db, config: { myHandle: undefined, registryUrl: undefined, presenceIntervalSec: 60, pingTimeoutSec: 5 }, vault, audit, now: () => clock });
    const a = r2.create({ handle: "pat", name: "Pat", gatewayUrl: "ws://192.168.1.20:18789", token: "t" }, "u");
    let s = r2.recordProbe(a.id, { state: "online", latencyMs: 3, version: "2026.9.6", protocol: 4, scopes: ["operator.write"], paired: false });
    expect(s).toMatchObject({ protocol: 4, versionTested: true, autoCheck: "on", hint: null, checkedAt: "2026-12-01T10:00:00.000Z" });
    // 60 s + 10 % jitter + 5 s probe timeout
    expect(s.staleAt).toBe("2026-12-01T10:01:11.000Z");
    clock += 30_000;
    expect(r2.noteAlive(a.id)).toMatchObject({ state: "online", checkedAt: "2026-12-01T10:00:30.000Z", lastSeenAt: "2026-12-01T10:00:30.000Z" });
    s = r2.recordProbe(a.id, { state: "online", latencyMs: 3, version: "2027.1.0", paired: false });
    expect(s).toMatchObject({ version: "2027.1.0", versionTested: false, protocol: 4 });
    s = r2.recordProbe(a.id, { state: "auth_failed", latencyMs: 3, paired: false, error: { code: "AUTH_FAILED", message: "token mismatch" } });
    expect(s).toMatchObject({ state: "auth_failed", autoCheck: "paused", error: { code: "AUTH_FAILED" } });
    expect(s.hint).toMatch(/openclaw devices rotate.*openclaw devices approve/);
    // a tick on some connection does not turn a refused gateway online
    expect(r2.noteAlive(a.id)).toBeNull();
    expect(r2.toApi(r2.byHandle("pat")!).status.state).toBe("auth_failed");
    // no address / no credentials: nothing goes stale; without a sweep, a check is current for 60 s
    const b = r2.create({ handle: "nobody", name: "Nobody" }, "u");
    expect(r2.toApi(b).status).toMatchObject({ state: "no_address", staleAt: null });
    expect(reg.recordProbe(a.id, { state: "online", latencyMs: 1, paired: false }).autoCheck).toBe("off");
  });

  it("keeps the last scopes while offline, drops them when online without any, and shows a bad stored value as none", () => {
    const a = reg.create({ handle: "alice", name: "Alice", gatewayUrl: "ws://192.168.1.20:18789", token: "t" }, "u");
    reg.recordProbe(a.id, { state: "online", latencyMs: 1, scopes: ["operator.read", "operator.write"], paired: false });
    expect(reg.recordProbe(a.id, { state: "unreachable", latencyMs: 1, paired: false }).scopes).toEqual(["operator.read", "operator.write"]);
    expect(reg.toApiMany([a])[0]?.status.scopes).toEqual(["operator.read", "operator.write"]);
    expect(reg.recordProbe(a.id, { state: "online", latencyMs: 1, paired: false }).scopes).toBeNull();
    reg.recordProbe(a.id, { state: "online", latencyMs: 1, scopes: ["operator.read"], paired: false });
    t.db.$client.prepare("update teammate_status set scopes = 'not json' where teammate_id = ?").run(a.id);
    expect(reg.toApi(a).status).toMatchObject({ state: "online", scopes: null });
    expect(reg.toApiMany([a])[0]?.status.scopes).toBeNull();
  });
});

describe("legacy import", () => {
  it("imports the fixture files: created, skipped with reasons, tokens set", () => {
    const r = reg.importLegacy({ registry: legacyRegistry(), tokens: legacyTokens() }, "user:admin");
    expect(r.created).toEqual(["alice", "bob.stone", "bray", "carol"]);
    expect(r.updated).toEqual([]);
    expect(r.tokensSet.sort()).toEqual(["alice", "bob.stone"]);
    const reasons = Object.fromEntries(r.skipped.map((s) => [s.handle, s.reason]));
    expect(reasons.dan).toMatch(/^bad URL/);
    expect(reasons["not valid!"]).toMatch(/^invalid handle/);
    expect(reasons.alice).toMatch(/^duplicate in file/);
    expect(reasons.ghost).toMatch(/not in the registry/);
    const alice = reg.byHandle("alice")!;
    expect(alice).toMatchObject({ name: "Alice Martin", displayName: "Ali", note: "backend", gatewayUrl: "ws://192.168.1.21:18789", hostname: "alice-mbp.local" });
    expect(reg.byHandle("carol")?.gatewayUrl).toBeNull();
    expect(reg.byHandle("bob.stone")?.gatewayUrl).toBe("ws://100.101.2.3:18789");
    expect(vault.get(alice.id, "gateway_token")).toBe("fixture-token-alice-7f3a9c");
    expect(reg.byHandle("dan")).toBeNull();
    const entry = auditRows().find((e) => (e.details as { action?: string }).action === "import");
    expect(entry?.kind).toBe("registry");
    expect(JSON.stringify(auditRows())).not.toContain("fixture-token");
  });

  it("re-import updates and never duplicates", () => {
    reg.importLegacy({ registry: legacyRegistry(), tokens: legacyTokens() }, "u");
    const count = reg.list().length;
    const again = reg.importLegacy({ registry: legacyRegistry(), tokens: legacyTokens() }, "u");
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(again.unchanged).toEqual(["alice", "bob.stone", "bray", "carol"]);
    expect(again.tokensSet).toEqual([]);
    const file = legacyRegistry();
    file.agents[0]!.ip = "192.168.1.50";
    file.agents[2]!.name = "Bob Ray Jr";
    const tokens = legacyTokens();
    tokens.tokens.alice = "fixture-token-alice-NEW";
    const third = reg.importLegacy({ registry: file, tokens }, "u");
    expect(third.updated).toEqual(["alice", "bray"]);
    expect(third.tokensSet).toEqual(["alice"]);
    expect(reg.list()).toHaveLength(count);
    expect(reg.byHandle("alice")?.gatewayUrl).toBe("ws://192.168.1.50:18789");
    expect(vault.get(reg.byHandle("alice")!.id, "gateway_token")).toBe("fixture-token-alice-NEW");
  });

  it("fills URL patterns with {ip}, {hostname}, {port}", () => {
    expect(fillPattern("ws://{ip}:18789", { ip: "10.0.0.1", hostname: null, port: null })).toBe("ws://10.0.0.1:18789");
    expect(fillPattern("wss://{hostname}:{port}", { ip: null, hostname: "a.ts.net", port: null })).toBe("wss://a.ts.net:18789");
    expect(fillPattern("ws://{ip}:18789", { ip: null, hostname: "x", port: null })).toBeNull();
    const r = reg.importLegacy(
      { registry: { gatewayUrlPattern: "wss://{hostname}.example.ts.net", agents: [{ emailPrefix: "zed", name: "Zed", hostname: "zed" }, { emailPrefix: "yan", name: "Yan" }] } },
      "u",
    );
    expect(r.created).toEqual(["zed", "yan"]);
    expect(reg.byHandle("zed")?.gatewayUrl).toBe("wss://zed.example.ts.net");
    expect(reg.byHandle("yan")?.gatewayUrl).toBeNull();
  });

  it("an import that moves a teammate to another address drops the device token of the old gateway; one that keeps it does not", () => {
    const file = (ip: string) => ({ agents: [{ emailPrefix: "dora", name: "Dora", ip }] });
    reg.importLegacy({ registry: file("192.168.1.30") }, "u");
    const id = reg.byHandle("dora")!.id;
    vault.put(id, "device_token", JSON.stringify({ token: "devtok-old", scopes: ["operator.write"] }));
    reg.importLegacy({ registry: file("192.168.1.30") }, "u");
    expect(vault.info(id, "device_token")).not.toBeNull();
    reg.importLegacy({ registry: file("192.168.1.31") }, "u");
    expect(reg.byHandle("dora")?.gatewayUrl).toBe("ws://192.168.1.31:18789");
    expect(vault.info(id, "device_token")).toBeNull();
  });

  it("rejects a file that is not a registry", () => {
    expect(apiError(() => reg.importLegacy({ registry: { nope: 1 } } as unknown as ImportRequest, "u")).code).toBe("IMPORT_INVALID");
  });
});

describe("sync", () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  });

  async function serve(handler: (path: string) => { status: number; body: string }): Promise<string> {
    server = createServer((req, res) => {
      const out = handler(req.url ?? "/");
      res.writeHead(out.status, { "content-type": "application/json" });
      res.end(out.body);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("is not configured without MESH_REGISTRY_URL", async () => {
    expect((await apiErrorAsync(reg.sync("u"))).code).toBe("SYNC_NOT_CONFIGURED");
  });

  it("syncs from a file and never deletes", async () => {
    reg.create({ handle: "zoe", name: "Zoe Local" }, "u");
    const file = join(t.dir, "registry.json");
    writeFileSync(file, JSON.stringify(legacyRegistry()));
    config.registryUrl = file;
    const r = await reg.sync("system");
    expect(r.created).toEqual(["alice", "bob.stone", "bray", "carol"]);
    expect(r.missing).toEqual(["zoe"]);
    expect(r.source).toBe(file);
    expect(r.tokensSet).toEqual([]);
    // the source drops alice: she stays, reported missing
    const smaller = legacyRegistry();
    smaller.agents = smaller.agents.filter((a) => a.emailPrefix !== "alice" && a.emailPrefix !== "ALICE");
    writeFileSync(file, JSON.stringify(smaller));
    const r2 = await reg.sync("system");
    expect(r2.missing.sort()).toEqual(["alice", "zoe"]);
    expect(reg.byHandle("alice")).not.toBeNull();
    expect(reg.byHandle("zoe")).not.toBeNull();
    const entries = auditRows().filter((e) => e.kind === "sync");
    expect(entries).toHaveLength(2);
    expect(entries[0]?.details).toMatchObject({ missing: ["alice", "zoe"] });
  });

  it("syncs from an HTTP server on 127.0.0.1; failures are 502 SYNC_FAILED and audited", async () => {
    let mode: "ok" | "500" | "junk" = "ok";
    const base = await serve(() =>
      mode === "ok" ? { status: 200, body: JSON.stringify(legacyRegistry()) } : mode === "500" ? { status: 500, body: "{}" } : { status: 200, body: "not json" },
    );
    config.registryUrl = `${base}/registry.json?secret=abc`;
    const r = await reg.sync("system");
    expect(r.created).toHaveLength(4);
    expect(r.source).not.toContain("secret");
    mode = "500";
    const e = await apiErrorAsync(reg.sync("system"));
    expect(e.code).toBe("SYNC_FAILED");
    expect(e.status).toBe(502);
    mode = "junk";
    expect((await apiErrorAsync(reg.sync("system"))).message).toMatch(/not valid JSON/);
    const failed = auditRows().filter((x) => x.kind === "sync" && x.outcome === "failed");
    expect(failed).toHaveLength(2);
    expect(reg.list()).toHaveLength(4);
  });

  it("a registry URL with user:password@ that fetch refuses: the password is in no error, audit entry or report", async () => {
    const base = await serve(() => ({ status: 200, body: JSON.stringify(legacyRegistry()) }));
    config.registryUrl = base.replace("http://", "http://sync:S3CRET-PW@") + "/registry.json";
    const e = await apiErrorAsync(reg.sync("system"));
    expect(e.code).toBe("SYNC_FAILED");
    const failed = auditRows().filter((x) => x.kind === "sync" && x.outcome === "failed");
    expect(failed).toHaveLength(1);
    expect(JSON.stringify(e) + e.message + JSON.stringify(failed)).not.toContain("S3CRET");
  });

  it("stops reading a chunked registry answer (no Content-Length) once it passes 5 MB", async () => {
    let sent = 0;
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = " ".repeat(256 * 1024);
      const more = () => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    config.registryUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/registry.json`;
    const e = await apiErrorAsync(reg.sync("system"));
    expect(e.code).toBe("SYNC_FAILED");
    expect(e.message).toMatch(/larger than 5242880 bytes/);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    server.closeAllConnections();
  });

  it("refuses plain http to a public host and times out a slow server", async () => {
    config.registryUrl = "http://registry.example.com/registry.json";
    expect((await apiErrorAsync(reg.sync("u"))).message).toMatch(/https/);
    server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const slow = createRegistry({ db: t.db, config: { myHandle: undefined, registryUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }, vault, audit, syncTimeoutMs: 200 });
    const e = await apiErrorAsync(slow.sync("u"));
    expect(e.message).toMatch(/timed out/);
    server.closeAllConnections();
  });

  it("startSyncTimer runs periodically and stops", async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const stop = startSyncTimer({ registry: { sync: async () => (calls++, { created: [], updated: [], unchanged: [], skipped: [], tokensSet: [], missing: [], source: "s", at: "" }) }, config: { syncIntervalSec: 60, registryUrl: "x" } });
      await vi.advanceTimersByTimeAsync(125_000);
      expect(calls).toBe(2);
      stop();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(calls).toBe(2);
      const noop = startSyncTimer({ registry: { sync: async () => { calls++; throw new Error("x"); } }, config: { syncIntervalSec: undefined, registryUrl: "x" } });
      await vi.advanceTimersByTimeAsync(600_000);
      expect(calls).toBe(2);
      noop();
    } finally {
      vi.useRealTimers();
    }
  });
});
