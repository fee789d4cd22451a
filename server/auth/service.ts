// Users, sessions, API keys and first-start setup. Secrets are stored only as one-way hashes:
// passwords (scrypt), session cookie values, API keys and the setup code (SHA-256).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { ApiKey, User } from "../../shared/api/auth.ts";
import type { Role } from "../../shared/api/common.ts";
import type { AuditLog } from "../audit/types.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db/connection.ts";
import { ApiError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./passwords.ts";
import { createLoginLimiter, type LoginLimiter } from "./rate-limit.ts";
import { createRefusalAudit, type RefusalAudit } from "./refusal-audit.ts";
import type { CredentialRevocation, Principal } from "./types.ts";
import { isoOrNull as iso } from "../db/time.ts";

export const SESSION_COOKIE = "mesh_session";
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** A session's expiry slides forward at most this often (one write per minute per session). */
const SESSION_TOUCH_MS = 60_000;
const KEY_TOUCH_MS = 60_000;
export const SETUP_CODE_SETTING = "setup_code_hash";
export const API_KEY_PREFIX_LENGTH = 10;

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  disabled: number;
  created_at: number;
}

interface KeyRow {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  key_hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}


function toUser(r: UserRow): User {
  return { username: r.username, role: r.role, createdAt: new Date(r.created_at).toISOString(), disabled: Boolean(r.disabled) };
}

/** The user a key acts for: its creator, or — for a key created with a key — that key's owner. */
function keyOwner(byLabel: (label: string) => KeyRow | undefined, r: KeyRow): string | null {
  let label = r.created_by;
  for (let hops = 0; hops < 20; hops++) {
    if (label.startsWith("user:")) return label.slice(5);
    const parent = label.startsWith("key:") ? byLabel(label) : undefined;
    if (!parent) return null;
    label = parent.created_by;
  }
  return null;
}

function toKey(r: KeyRow, owner: string | null): ApiKey {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.prefix,
    createdBy: r.created_by,
    owner,
    createdAt: new Date(r.created_at).toISOString(),
    lastUsedAt: iso(r.last_used_at),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

function userPrincipal(r: UserRow): Principal {
  return { kind: "user", id: String(r.id), name: r.username, role: r.role, label: `user:${r.username}` };
}

export interface SignedIn {
  principal: Principal;
  /** The cookie value: shown to the client once, stored only as its SHA-256. */
  sessionToken: string;
}

export interface AuthService {
  /** First start: creates `admin` from MESH_ADMIN_PASSWORD, or returns a one-time setup code to print. */
  bootstrap(): { setupCode: string | null; adminCreated: boolean };
  setupRequired(): boolean;
  completeSetup(input: { setupCode: string; username: string; password: string }, ip: string): SignedIn;
  login(username: string, password: string, ip: string): SignedIn;
  logout(sessionToken: string, principal: Principal | undefined): void;
  /**
   * The principal of a session cookie value, or null. `touch: false` (re-checks of long-lived
   * connections) does not slide the session's expiry.
   */
  sessionPrincipal(sessionToken: string, opts?: { touch?: boolean }): Principal | null;
  /** The principal of an API key, or null. `touch: false` does not update its last use. */
  keyPrincipal(key: string, opts?: { touch?: boolean }): Principal | null;
  /**
   * Called after a credential stopped being valid in this process (key revoked, sign-out, user
   * disabled/deleted, password or role changed). Returns the unsubscribe function.
   */
  onRevoked(listener: (revocation: CredentialRevocation) => void): () => void;
  listUsers(): User[];
  createUser(input: { username: string; password: string; role: Role }, actor: string): User;
  updateUser(username: string, patch: { password?: string | undefined; role?: Role | undefined; disabled?: boolean | undefined }, actor: string): User;
  deleteUser(username: string, actor: string): void;
  listKeys(): ApiKey[];
  createKey(input: { name: string; role: Role; expiresAt?: string | null | undefined }, actor: string): ApiKey & { key: string };
  revokeKey(id: string, actor: string): void;
  /** Shutdown: writes the aggregate audit entries of rate-limited sign-ins still counted in memory. */
  close(): void;
}

export interface AuthServiceOptions {
  db: Db;
  config: Pick<Config, "adminPassword">;
  audit: Pick<AuditLog, "append">;
  logger?: Pick<Logger, "warn" | "info">;
  limiter?: LoginLimiter;
  /** Failures per client address over all usernames (stops username spraying, which would
   *  otherwise cost a 50 ms scrypt per guess with nothing to slow it down). */
  ipLimiter?: LoginLimiter;
  /** Audit of refused (rate-limited) sign-ins, aggregated per key and window (refusal-audit.ts). */
  refusalAudit?: RefusalAudit;
  now?: () => number;
}

export function createAuthService(opts: AuthServiceOptions): AuthService {
  const sql = opts.db.$client;
  const now = opts.now ?? Date.now;
  const limiter = opts.limiter ?? createLoginLimiter({ now });
  const ipLimiter = opts.ipLimiter ?? createLoginLimiter({ now, max: 50 });
  const audit = opts.audit;
  const refusals = opts.refusalAudit ?? createRefusalAudit({ audit, now });

  const q = {
    userByName: sql.prepare("select * from users where username = ?"),
    userById: sql.prepare("select * from users where id = ?"),
    users: sql.prepare("select * from users order by username"),
    insertUser: sql.prepare("insert into users(username, password_hash, role, disabled, created_at) values (?, ?, ?, 0, ?)"),
    activeAdmins: sql.prepare("select count(*) as n from users where role = 'admin' and disabled = 0"),
    insertSession: sql.prepare("insert into sessions(id_hash, user_id, created_at, expires_at, last_seen_at) values (?, ?, ?, ?, ?)"),
    session: sql.prepare("select * from sessions where id_hash = ?"),
    touchSession: sql.prepare("update sessions set expires_at = ?, last_seen_at = ? where id_hash = ?"),
    deleteSession: sql.prepare("delete from sessions where id_hash = ?"),
    deleteUserSessions: sql.prepare("delete from sessions where user_id = ?"),
    deleteExpired: sql.prepare("delete from sessions where expires_at <= ?"),
    keyByHash: sql.prepare("select * from api_keys where key_hash = ?"),
    keyById: sql.prepare("select * from api_keys where id = ?"),
    keys: sql.prepare("select * from api_keys order by created_at desc, id"),
    insertKey: sql.prepare(
      "insert into api_keys(id, name, role, prefix, key_hash, created_by, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    touchKey: sql.prepare("update api_keys set last_used_at = ? where id = ?"),
    revokeKey: sql.prepare("update api_keys set revoked_at = ? where id = ? and revoked_at is null"),
    // a key's name is unique among usable keys only: a "key:name" creator is the newest key of that name
    keyByLabel: sql.prepare("select * from api_keys where 'key:' || name = ? order by created_at desc limit 1"),
    getSetting: sql.prepare("select value from settings where key = ?"),
    setSetting: sql.prepare(
      "insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at",
    ),
    deleteSetting: sql.prepare("delete from settings where key = ?"),
  };

  const revokedListeners = new Set<(r: CredentialRevocation) => void>();
  function revoked(r: CredentialRevocation): void {
    for (const listener of [...revokedListeners]) {
      try {
        listener(r);
      } catch (err) {
        opts.logger?.warn({ err, revocation: r.kind }, "credential revocation listener failed");
      }
    }
  }

  const adminExists = (): boolean => ((q.activeAdmins.get() as { n: number }).n ?? 0) > 0;
  const ownerOf = (r: KeyRow) => keyOwner((label) => q.keyByLabel.get(label) as KeyRow | undefined, r);
  /** Revokes the usable keys acting for `username` (inside the caller's transaction). */
  function revokeOwnedKeys(username: string): KeyRow[] {
    const t = now();
    const owned = (sql.prepare("select * from api_keys where revoked_at is null").all() as KeyRow[]).filter((k) => ownerOf(k) === username);
    for (const k of owned) q.revokeKey.run(t, k.id);
    return owned;
  }
  function auditOwnedKeysRevoked(keys: KeyRow[], username: string, reason: "owner_disabled" | "owner_deleted", actor: string): void {
    for (const k of keys) {
      revoked({ kind: "api_key", keyId: k.id });
      audit.append({ actor, kind: "api_key", outcome: "ok", details: { action: "revoke", id: k.id, name: k.name, prefix: k.prefix, reason, owner: username } });
    }
  }
  const userByName = (username: string) => q.userByName.get(username.trim().toLowerCase()) as UserRow | undefined;

  function newSession(user: UserRow): SignedIn {
    const token = randomBytes(32).toString("base64url");
    const t = now();
    q.deleteExpired.run(t);
    q.insertSession.run(sha256Hex(token), user.id, t, t + SESSION_TTL_MS, t);
    return { principal: userPrincipal(user), sessionToken: token };
  }

  function mustUser(username: string): UserRow {
    const u = userByName(username);
    if (!u) throw new ApiError("NOT_FOUND", `No user named "${username}"`);
    return u;
  }

  function runBootstrap(): { setupCode: string | null; adminCreated: boolean } {
    if (adminExists()) {
      q.deleteSetting.run(SETUP_CODE_SETTING);
      return { setupCode: null, adminCreated: false };
    }
    if (opts.config.adminPassword) {
      const existing = userByName("admin");
      if (existing) {
        // an 'admin' user exists but is not an active admin: restore it with the configured password
        sql.prepare("update users set role = 'admin', disabled = 0, password_hash = ? where id = ?").run(hashPassword(opts.config.adminPassword), existing.id);
      } else {
        q.insertUser.run("admin", hashPassword(opts.config.adminPassword), "admin", now());
      }
      audit.append({ actor: "system", kind: "user", outcome: "ok", details: { action: "bootstrap_admin", username: "admin", source: "MESH_ADMIN_PASSWORD" } });
      opts.logger?.info({ username: "admin" }, "created the first admin account from MESH_ADMIN_PASSWORD");
      return { setupCode: null, adminCreated: true };
    }
    // 12 chars of a 32-letter alphabet (60 bits), grouped for reading off a console
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    const bytes = randomBytes(12);
    const raw = Array.from(bytes, (b) => alphabet[b % 32]).join("");
    const code = `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
    q.setSetting.run(SETUP_CODE_SETTING, sha256Hex(code), now());
    return { setupCode: code, adminCreated: false };
  }

  let bootstrapped: { setupCode: string | null; adminCreated: boolean } | null = null;
  const service: AuthService = {
    bootstrap() {
      if (bootstrapped && (bootstrapped.setupCode === null || !adminExists())) return bootstrapped;
      bootstrapped = runBootstrap();
      if (bootstrapped.setupCode) {
        opts.logger?.warn(
          { setup: "POST /api/v1/auth/setup" },
          `First start: no admin account yet. One-time setup code: ${bootstrapped.setupCode} (enter it on the dashboard's setup page; it is replaced at every start until an admin exists)`,
        );
      }
      return bootstrapped;
    },
    setupRequired: () => !adminExists(),
    completeSetup(input, ip) {
      if (adminExists()) throw new ApiError("SETUP_ALREADY_DONE", "An admin account exists already; sign in instead");
      const limitKey = `setup|${ip}`;
      const wait = limiter.retryAfterSec(limitKey);
      if (wait > 0) throw new ApiError("RATE_LIMITED", `Too many wrong setup codes; try again in ${wait} s`, { retryAfterSec: wait });
      const stored = q.getSetting.get(SETUP_CODE_SETTING) as { value: string } | undefined;
      const given = Buffer.from(sha256Hex(input.setupCode.trim().toUpperCase()), "hex");
      const ok = stored !== undefined && timingSafeEqual(given, Buffer.from(stored.value, "hex"));
      if (!ok) {
        limiter.fail(limitKey);
        audit.append({ actor: `user:${input.username.slice(0, 64)}`, kind: "login", outcome: "failed", details: { action: "setup", ip, reason: "invalid_setup_code" } });
        throw new ApiError("INVALID_CREDENTIALS", "The setup code is wrong (it is printed on the server console at start-up)");
      }
      const run = sql.transaction(() => {
        if (adminExists()) throw new ApiError("SETUP_ALREADY_DONE", "An admin account exists already; sign in instead");
        if (userByName(input.username)) throw new ApiError("USERNAME_TAKEN", `A user named "${input.username}" exists already`);
        q.insertUser.run(input.username, hashPassword(input.password), "admin", now());
        q.deleteSetting.run(SETUP_CODE_SETTING);
        return userByName(input.username) as UserRow;
      });
      const user = run.immediate();
      limiter.reset(limitKey);
      audit.append({ actor: `user:${user.username}`, kind: "user", outcome: "ok", details: { action: "setup", username: user.username, role: "admin", ip } });
      return newSession(user);
    },
    login(username, password, ip) {
      const name = username.trim().toLowerCase();
      const limitKey = `${name}|${ip}`;
      const keyWait = limiter.retryAfterSec(limitKey);
      const wait = Math.max(keyWait, ipLimiter.retryAfterSec(ip));
      if (wait > 0) {
        // Not one row per refusal (an anonymous caller could grow the trail without bound): the
        // first refusal per limiter key and window is written, the rest are counted and written
        // as one aggregate entry. The per-address limit keys on the address alone ("*"), so
        // varying usernames from one address stays one window.
        refusals.refused(keyWait > 0 ? name : "*", ip);
        throw new ApiError("RATE_LIMITED", `Too many failed sign-ins; try again in ${wait} s`, { retryAfterSec: wait });
      }
      const user = userByName(name);
      const passwordOk = verifyPassword(password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
      if (!user || !passwordOk || user.disabled) {
        limiter.fail(limitKey);
        ipLimiter.fail(ip);
        const reason = !user ? "unknown_user" : !passwordOk ? "wrong_password" : "disabled";
        audit.append({ actor: `user:${name.slice(0, 64)}`, kind: "login", outcome: "failed", details: { ip, reason } });
        throw new ApiError("INVALID_CREDENTIALS", "Wrong username or password");
      }
      limiter.reset(limitKey);
      audit.append({ actor: `user:${user.username}`, kind: "login", outcome: "ok", details: { ip } });
      return newSession(user);
    },
    logout(sessionToken, principal) {
      const idHash = sha256Hex(sessionToken);
      const s = q.session.get(idHash) as { user_id: number } | undefined;
      const ended = q.deleteSession.run(idHash).changes > 0;
      if (ended && s) revoked({ kind: "session", userId: String(s.user_id) });
      if (principal) audit.append({ actor: principal.label, kind: "login", outcome: "ok", details: { action: "logout" } });
    },
    sessionPrincipal(sessionToken, o = {}) {
      if (!sessionToken || sessionToken.length > 200) return null;
      const idHash = sha256Hex(sessionToken);
      const s = q.session.get(idHash) as { user_id: number; expires_at: number; last_seen_at: number } | undefined;
      if (!s) return null;
      const t = now();
      if (s.expires_at <= t) {
        q.deleteSession.run(idHash);
        return null;
      }
      const user = q.userById.get(s.user_id) as UserRow | undefined;
      if (!user || user.disabled) {
        q.deleteSession.run(idHash);
        return null;
      }
      if (o.touch !== false && t - s.last_seen_at >= SESSION_TOUCH_MS) q.touchSession.run(t + SESSION_TTL_MS, t, idHash);
      return userPrincipal(user);
    },
    keyPrincipal(key, o = {}) {
      if (!key.startsWith("tm_") || key.length > 200) return null;
      const row = q.keyByHash.get(sha256Hex(key)) as KeyRow | undefined;
      if (!row) return null;
      const t = now();
      if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= t)) return null;
      // keys written before owners' keys were revoked with them: a missing or disabled owner still ends the key
      const owner = ownerOf(row);
      if (owner !== null) {
        const u = userByName(owner);
        if (!u || u.disabled) return null;
      }
      if (o.touch !== false && (row.last_used_at === null || t - row.last_used_at >= KEY_TOUCH_MS)) q.touchKey.run(t, row.id);
      return { kind: "api_key", id: row.id, name: row.name, role: row.role, label: `key:${row.name}` };
    },
    listUsers: () => (q.users.all() as UserRow[]).map(toUser),
    createUser(input, actor) {
      if (userByName(input.username)) throw new ApiError("USERNAME_TAKEN", `A user named "${input.username}" exists already`);
      q.insertUser.run(input.username, hashPassword(input.password), input.role, now());
      const user = mustUser(input.username);
      audit.append({ actor, kind: "user", outcome: "ok", details: { action: "create", username: user.username, role: user.role } });
      return toUser(user);
    },
    updateUser(username, patch, actor) {
      const run = sql.transaction(() => {
        const user = mustUser(username);
        const role = patch.role ?? user.role;
        const disabled = patch.disabled ?? Boolean(user.disabled);
        const losesAdmin = user.role === "admin" && !user.disabled && (role !== "admin" || disabled);
        if (losesAdmin && (q.activeAdmins.get() as { n: number }).n <= 1) {
          throw new ApiError("VALIDATION_FAILED", "This is the last active admin: make another user admin first");
        }
        sql
          .prepare("update users set role = ?, disabled = ?, password_hash = ? where id = ?")
          .run(role, disabled ? 1 : 0, patch.password ? hashPassword(patch.password) : user.password_hash, user.id);
        // a new password, a disabled account or a changed role ends the user's sessions
        const endsSessions = Boolean(patch.password) || disabled || role !== user.role;
        if (endsSessions) q.deleteUserSessions.run(user.id);
        const changed = [patch.password ? "password" : null, role !== user.role ? "role" : null, disabled !== Boolean(user.disabled) ? "disabled" : null].filter(
          (x): x is string => x !== null,
        );
        const reason = disabled ? "disabled" : role !== user.role ? "role" : "password";
        // a disabled user's API keys stop with them (re-enabling does not bring them back)
        const keys = disabled && !user.disabled ? revokeOwnedKeys(user.username) : [];
        return { user: q.userById.get(user.id) as UserRow, changed, keys, revocation: endsSessions ? ({ kind: "user", userId: String(user.id), reason } as const) : null };
      });
      const { user, changed, keys, revocation } = run.immediate();
      if (revocation) revoked(revocation);
      auditOwnedKeysRevoked(keys, user.username, "owner_disabled", actor);
      audit.append({ actor, kind: "user", outcome: "ok", details: { action: "update", username: user.username, changed, role: user.role, disabled: Boolean(user.disabled) } });
      return toUser(user);
    },
    deleteUser(username, actor) {
      const run = sql.transaction(() => {
        const user = mustUser(username);
        if (user.role === "admin" && !user.disabled && (q.activeAdmins.get() as { n: number }).n <= 1) {
          throw new ApiError("VALIDATION_FAILED", "This is the last active admin: make another user admin first");
        }
        sql.prepare("delete from users where id = ?").run(user.id);
        return { user, keys: revokeOwnedKeys(user.username) };
      });
      const { user, keys } = run.immediate();
      revoked({ kind: "user", userId: String(user.id), reason: "deleted" });
      auditOwnedKeysRevoked(keys, user.username, "owner_deleted", actor);
      audit.append({ actor, kind: "user", outcome: "ok", details: { action: "delete", username: user.username } });
    },
    listKeys: () => (q.keys.all() as KeyRow[]).map((r) => toKey(r, ownerOf(r))),
    createKey(input, actor) {
      let expiresAt: number | null = null;
      if (input.expiresAt) {
        expiresAt = Date.parse(input.expiresAt);
        if (!(expiresAt > now())) throw new ApiError("VALIDATION_FAILED", "expiresAt must be in the future", { issues: [{ path: "expiresAt", message: "must be in the future", code: "custom" }] });
      }
      // The audit trail names a key by its name: two usable keys may not share one.
      const clash = sql
        .prepare("select 1 from api_keys where name = ? and revoked_at is null and (expires_at is null or expires_at > ?)")
        .get(input.name, now());
      if (clash) throw new ApiError("KEY_NAME_TAKEN", `An active API key is already named "${input.name}"; pick another name or revoke that key first`);
      const key = `tm_${randomBytes(32).toString("base64url")}`;
      const id = randomUUID();
      q.insertKey.run(id, input.name, input.role, key.slice(0, API_KEY_PREFIX_LENGTH), sha256Hex(key), actor, now(), expiresAt);
      const row = q.keyById.get(id) as KeyRow;
      audit.append({ actor, kind: "api_key", outcome: "ok", details: { action: "create", id, name: row.name, role: row.role, prefix: row.prefix, expiresAt: iso(expiresAt) } });
      return { ...toKey(row, ownerOf(row)), key };
    },
    revokeKey(id, actor) {
      const row = q.keyById.get(id) as KeyRow | undefined;
      if (!row) throw new ApiError("NOT_FOUND", `No API key with id "${id}"`);
      if (row.revoked_at === null) {
        q.revokeKey.run(now(), id);
        revoked({ kind: "api_key", keyId: id });
        audit.append({ actor, kind: "api_key", outcome: "ok", details: { action: "revoke", id, name: row.name, prefix: row.prefix } });
      }
    },
    close() {
      refusals.close();
    },
    onRevoked(listener) {
      revokedListeners.add(listener);
      return () => {
        revokedListeners.delete(listener);
      };
    },
  };
  return service;
}
