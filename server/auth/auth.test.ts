import { randomBytes } from "node:crypto";
import { createAuditLog } from "../audit/index.ts";
import type { AuditLog } from "../audit/types.ts";
import { ALL_PERMISSIONS, can, createAuthService, createLoginLimiter, hashPassword, rolesWith, sha256Hex, verifyPassword, SESSION_TTL_MS, type AuthService } from "./index.ts";
import { createVault } from "../vault/index.ts";
import { apiError } from "../../test/support/api-error.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

let t: TmpDb;
let audit: AuditLog;
let clock: number;
const now = () => clock;
const PW = "correct horse battery";

function svc(adminPassword?: string): AuthService {
  return createAuthService({ db: t.db, config: { adminPassword }, audit, now });
}

beforeEach(() => {
  t = tmpDb();
  audit = createAuditLog({ db: t.db, vault: createVault(t.db, randomBytes(32)) });
  clock = 1_700_000_000_000;
});
afterEach(() => t.cleanup());

describe("password hashing", () => {
  it("scrypt with salt; verifies only the right password", () => {
    const h1 = hashPassword(PW);
    const h2 = hashPassword(PW);
    expect(h1).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain(PW);
    expect(verifyPassword(PW, h1)).toBe(true);
    expect(verifyPassword(`${PW}x`, h1)).toBe(false);
    expect(verifyPassword(PW, "garbage")).toBe(false);
    expect(verifyPassword(PW, "scrypt$x$8$1$AA==$AA==")).toBe(false);
  });
});

describe("permissions table", () => {
  it("matches docs/api-routes.md", () => {
    expect(ALL_PERMISSIONS.every((p) => can("admin", p))).toBe(true);
    const table = {
      operator: ["teammates:read", "ping", "send", "broadcast:create", "broadcast:confirm", "audit:read", "templates:write"],
      requester: ["teammates:read", "ping", "send", "broadcast:create"],
      auditor: ["teammates:read", "audit:read"],
    } as const;
    for (const [role, perms] of Object.entries(table)) {
      expect(ALL_PERMISSIONS.filter((p) => can(role as "operator", p))).toEqual(perms);
    }
    expect(rolesWith("broadcast:confirm")).toEqual(["admin", "operator"]);
    expect(rolesWith("users:manage")).toEqual(["admin"]);
    expect(rolesWith("secrets:override")).toEqual(["admin"]);
    expect(rolesWith("metrics:read")).toEqual(["admin"]);
    expect(can("nobody" as "admin", "send")).toBe(false);
  });
});

describe("first start", () => {
  it("creates admin from MESH_ADMIN_PASSWORD", () => {
    const s = svc(PW);
    expect(s.setupRequired()).toBe(true);
    expect(s.bootstrap()).toEqual({ setupCode: null, adminCreated: true });
    expect(s.setupRequired()).toBe(false);
    expect(s.login("admin", PW, "1.2.3.4").principal).toMatchObject({ kind: "user", name: "admin", role: "admin", label: "user:admin" });
    expect(svc(PW).bootstrap().adminCreated).toBe(false);
  });

  it("otherwise a one-time setup code (only its hash stored) creates the first admin", () => {
    const s = svc();
    const { setupCode } = s.bootstrap();
    expect(setupCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const stored = t.db.$client.prepare("select value from settings where key = 'setup_code_hash'").get() as { value: string };
    expect(stored.value).toBe(sha256Hex(setupCode!));
    expect(s.bootstrap().setupCode).toBe(setupCode); // same process: same code
    expect(apiError(() => s.completeSetup({ setupCode: "WRONG-CODE-0000", username: "root", password: PW }, "ip")).code).toBe("SETUP_CODE_WRONG");
    const signed = s.completeSetup({ setupCode: setupCode!.toLowerCase(), username: "root", password: PW }, "ip");
    expect(signed.principal.role).toBe("admin");
    expect(signed.sessionToken.length).toBeGreaterThan(40);
    expect(s.setupRequired()).toBe(false);
    expect(apiError(() => s.completeSetup({ setupCode: setupCode!, username: "x2", password: PW }, "ip")).code).toBe("SETUP_ALREADY_DONE");
    expect(t.db.$client.prepare("select count(*) as n from settings where key = 'setup_code_hash'").get()).toEqual({ n: 0 });
  });
});

describe("login, sessions", () => {
  it("stores only the sha256 of the session; 12 h sliding expiry", () => {
    const s = svc(PW);
    s.bootstrap();
    const { sessionToken } = s.login("ADMIN", PW, "ip");
    const rows = t.db.$client.prepare("select id_hash, expires_at from sessions").all() as { id_hash: string; expires_at: number }[];
    expect(rows).toEqual([{ id_hash: sha256Hex(sessionToken), expires_at: clock + SESSION_TTL_MS }]);
    expect(s.sessionPrincipal(sessionToken)?.name).toBe("admin");
    expect(s.sessionPrincipal("forged")).toBeNull();
    clock += 11 * 3600_000; // used after 11 h: slides
    expect(s.sessionPrincipal(sessionToken)).not.toBeNull();
    clock += 11 * 3600_000; // 22 h after login, 11 h after last use: still valid
    expect(s.sessionPrincipal(sessionToken)).not.toBeNull();
    clock += SESSION_TTL_MS + 1; // idle 12 h: expired and deleted
    expect(s.sessionPrincipal(sessionToken)).toBeNull();
    expect(t.db.$client.prepare("select count(*) as n from sessions").get()).toEqual({ n: 0 });
  });

  it("logout ends the session; disabling a user or changing the password ends theirs", () => {
    const s = svc(PW);
    s.bootstrap();
    s.createUser({ username: "bob", password: PW, role: "operator" }, "user:admin");
    const a = s.login("bob", PW, "ip").sessionToken;
    s.logout(a, undefined);
    expect(s.sessionPrincipal(a)).toBeNull();
    const b = s.login("bob", PW, "ip").sessionToken;
    s.updateUser("bob", { password: "another password!" }, "user:admin");
    expect(s.sessionPrincipal(b)).toBeNull();
    const c = s.login("bob", "another password!", "ip").sessionToken;
    s.updateUser("bob", { disabled: true }, "user:admin");
    expect(s.sessionPrincipal(c)).toBeNull();
    expect(apiError(() => s.login("bob", "another password!", "ip")).code).toBe("INVALID_CREDENTIALS");
  });

  it("audits login ok/failed without the password", () => {
    const s = svc(PW);
    s.bootstrap();
    expect(apiError(() => s.login("admin", "wrong-password-123", "9.9.9.9")).code).toBe("INVALID_CREDENTIALS");
    expect(apiError(() => s.login("ghost", "whatever-pass", "9.9.9.9")).code).toBe("INVALID_CREDENTIALS");
    s.login("admin", PW, "9.9.9.9");
    const entries = audit.query({ kind: "login" }).items;
    expect(entries.map((e) => e.outcome)).toEqual(["ok", "failed", "failed"]);
    expect(entries[1]?.details).toMatchObject({ ip: "9.9.9.9", reason: "unknown_user" });
    expect(JSON.stringify(audit.query({ limit: 500 }).items)).not.toMatch(/wrong-password|whatever-pass|correct horse/);
  });

  it("rate-limits 10 failures per username + IP within 5 minutes", () => {
    const s = svc(PW);
    s.bootstrap();
    for (let i = 0; i < 10; i++) expect(apiError(() => s.login("admin", "bad-password-x", "1.1.1.1")).code).toBe("INVALID_CREDENTIALS");
    const limited = apiError(() => s.login("admin", PW, "1.1.1.1"));
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.status).toBe(429);
    expect((limited.details as { retryAfterSec: number }).retryAfterSec).toBeGreaterThan(0);
    // another IP is not blocked
    expect(s.login("admin", PW, "2.2.2.2").principal.name).toBe("admin");
    clock += 5 * 60_000 + 1;
    expect(s.login("admin", PW, "1.1.1.1").principal.name).toBe("admin");
  });

  it("rate-limits username spraying: 50 failures from one address, whatever the usernames", () => {
    const s = svc(PW);
    s.bootstrap();
    for (let i = 0; i < 50; i++) expect(apiError(() => s.login(`guess${i}`, "bad-password-x", "6.6.6.6")).code).toBe("INVALID_CREDENTIALS");
    // a fresh username from the same address is refused before any password is hashed
    expect(apiError(() => s.login("admin", PW, "6.6.6.6")).code).toBe("RATE_LIMITED");
    expect(s.login("admin", PW, "7.7.7.7").principal.name).toBe("admin");
    clock += 5 * 60_000 + 1;
    expect(s.login("admin", PW, "6.6.6.6").principal.name).toBe("admin");
  });

  it("the limiter counts failures in a sliding window and resets on success", () => {
    let c = 0;
    const l = createLoginLimiter({ max: 3, windowMs: 1000, now: () => c });
    l.fail("k");
    l.fail("k");
    expect(l.retryAfterSec("k")).toBe(0);
    l.fail("k");
    expect(l.retryAfterSec("k")).toBe(1);
    c = 1001;
    expect(l.retryAfterSec("k")).toBe(0);
    l.fail("k");
    l.fail("k");
    l.fail("k");
    l.reset("k");
    expect(l.retryAfterSec("k")).toBe(0);
  });
});

describe("users", () => {
  it("CRUD, taken names, last admin protected", () => {
    const s = svc(PW);
    s.bootstrap();
    const u = s.createUser({ username: "carol", password: PW, role: "auditor" }, "user:admin");
    expect(u).toMatchObject({ username: "carol", role: "auditor", disabled: false });
    expect(apiError(() => s.createUser({ username: "carol", password: PW, role: "auditor" }, "x")).code).toBe("USERNAME_TAKEN");
    expect(s.updateUser("carol", { role: "operator" }, "x").role).toBe("operator");
    expect(apiError(() => s.updateUser("admin", { role: "operator" }, "x")).message).toMatch(/last active admin/);
    expect(apiError(() => s.updateUser("admin", { disabled: true }, "x")).code).toBe("LAST_ADMIN");
    expect(apiError(() => s.deleteUser("admin", "x")).code).toBe("LAST_ADMIN");
    expect(apiError(() => s.deleteUser("nobody", "x")).code).toBe("NOT_FOUND");
    s.updateUser("carol", { role: "admin" }, "x");
    s.deleteUser("admin", "user:carol");
    expect(s.listUsers().map((x) => x.username)).toEqual(["carol"]);
    expect(JSON.stringify(s.listUsers())).not.toContain("scrypt");
    const kinds = audit.query({ kind: "user" }).items.map((e) => (e.details as { action: string }).action);
    expect(kinds).toEqual(["delete", "update", "update", "create", "bootstrap_admin"]);
  });
});

describe("API keys", () => {
  it("tm_ format, stored as sha256, prefix of 10 chars, shown once", () => {
    const s = svc(PW);
    // a key acts for its creator, who must exist and be enabled when it is used
    s.createUser({ username: "alice", password: "long enough password", role: "admin" }, "system");
    const created = s.createKey({ name: "ci", role: "requester" }, "user:alice");
    expect(created.key).toMatch(/^tm_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 10));
    const row = t.db.$client.prepare("select key_hash, prefix from api_keys").get() as { key_hash: string; prefix: string };
    expect(row.key_hash).toBe(sha256Hex(created.key));
    expect(JSON.stringify(s.listKeys())).not.toContain(created.key);
    expect(s.listKeys()[0]).not.toHaveProperty("key");
    const p = s.keyPrincipal(created.key);
    expect(p).toEqual({ kind: "api_key", id: created.id, name: "ci", role: "requester", label: "key:ci" });
    expect(s.listKeys()[0]?.lastUsedAt).not.toBeNull();
    expect(s.keyPrincipal(`${created.key}x`)).toBeNull();
    expect(s.keyPrincipal("tm_nope")).toBeNull();
    expect(JSON.stringify(audit.query({ kind: "api_key" }).items)).not.toContain(created.key);
  });

  it("revoked and expired keys stop working", () => {
    const s = svc(PW);
    const a = s.createKey({ name: "a", role: "admin" }, "u");
    s.revokeKey(a.id, "u");
    expect(s.keyPrincipal(a.key)).toBeNull();
    expect(s.listKeys()[0]?.revokedAt).not.toBeNull();
    expect(apiError(() => s.revokeKey("missing", "u")).code).toBe("NOT_FOUND");
    const b = s.createKey({ name: "b", role: "auditor", expiresAt: new Date(clock + 60_000).toISOString() }, "u");
    expect(s.keyPrincipal(b.key)?.role).toBe("auditor");
    clock += 60_001;
    expect(s.keyPrincipal(b.key)).toBeNull();
    expect(apiError(() => s.createKey({ name: "c", role: "auditor", expiresAt: new Date(clock - 1).toISOString() }, "u")).code).toBe("VALIDATION_FAILED");
  });

  it("keeps the names of usable keys unique (the audit trail names keys by name)", () => {
    const s = svc(PW);
    const first = s.createKey({ name: "ci-bot", role: "requester" }, "u");
    const clash = apiError(() => s.createKey({ name: "ci-bot", role: "operator" }, "u"));
    expect(clash.code).toBe("KEY_NAME_TAKEN");
    expect(clash.status).toBe(409);
    expect(s.listKeys()).toHaveLength(1);
    s.revokeKey(first.id, "u");
    expect(s.createKey({ name: "ci-bot", role: "requester" }, "u").name).toBe("ci-bot");
  });
});

describe("credential revocation signal", () => {
  it("fires once per revocation, after the change is visible, with who it concerns", () => {
    const s = svc(PW);
    s.bootstrap();
    const seen: { r: unknown; stillValid: boolean }[] = [];
    let check: () => boolean = () => false;
    const off = s.onRevoked((r) => seen.push({ r, stillValid: check() }));
    const bob = s.createUser({ username: "bob", password: PW, role: "operator" }, "user:admin");
    const bobId = String((t.db.$client.prepare("select id from users where username = 'bob'").get() as { id: number }).id);
    expect(bob.username).toBe("bob");

    const key = s.createKey({ name: "k", role: "auditor" }, "u");
    check = () => s.keyPrincipal(key.key) !== null;
    s.revokeKey(key.id, "u");
    s.revokeKey(key.id, "u"); // already revoked: no second signal
    const a = s.login("bob", PW, "ip").sessionToken;
    check = () => s.sessionPrincipal(a) !== null;
    s.logout(a, undefined);
    s.logout(a, undefined); // unknown session: nothing ended, no signal
    const b = s.login("bob", PW, "ip").sessionToken;
    check = () => s.sessionPrincipal(b) !== null;
    s.updateUser("bob", { role: "operator" }, "u"); // no change that ends sessions: no signal
    s.updateUser("bob", { password: "another password!" }, "u");
    s.updateUser("bob", { role: "auditor" }, "u");
    s.updateUser("bob", { disabled: true }, "u");
    s.deleteUser("bob", "u");
    expect(seen).toEqual([
      { r: { kind: "api_key", keyId: key.id }, stillValid: false },
      { r: { kind: "session", userId: bobId }, stillValid: false },
      { r: { kind: "user", userId: bobId, reason: "password" }, stillValid: false },
      { r: { kind: "user", userId: bobId, reason: "role" }, stillValid: false },
      { r: { kind: "user", userId: bobId, reason: "disabled" }, stillValid: false },
      { r: { kind: "user", userId: bobId, reason: "deleted" }, stillValid: false },
    ]);
    off();
    s.revokeKey(s.createKey({ name: "k2", role: "auditor" }, "u").id, "u");
    expect(seen).toHaveLength(6);
  });

  it("a throwing listener does not break the revocation or other listeners", () => {
    const s = svc(PW);
    const got: string[] = [];
    s.onRevoked(() => {
      throw new Error("listener bug");
    });
    s.onRevoked((r) => got.push(r.kind));
    const key = s.createKey({ name: "k", role: "auditor" }, "u");
    s.revokeKey(key.id, "u");
    expect(got).toEqual(["api_key"]);
    expect(s.keyPrincipal(key.key)).toBeNull();
  });

  it("touch:false re-checks neither slide the session nor update the key's last use", () => {
    const s = svc(PW);
    s.bootstrap();
    const { sessionToken } = s.login("admin", PW, "ip");
    clock += 11 * 3600_000;
    expect(s.sessionPrincipal(sessionToken, { touch: false })?.name).toBe("admin");
    clock += 2 * 3600_000; // 13 h after the last real use: expired despite the re-check
    expect(s.sessionPrincipal(sessionToken, { touch: false })).toBeNull();
    const key = s.createKey({ name: "k", role: "auditor" }, "u");
    expect(s.keyPrincipal(key.key, { touch: false })?.name).toBe("k");
    expect(s.listKeys()[0]?.lastUsedAt).toBeNull();
  });
});
