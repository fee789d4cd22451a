// Users, sessions, API keys and first-start setup. Secrets are stored only as one-way hashes:
// passwords (scrypt), session cookie values, API keys and the setup code (SHA-256).
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import type { ApiKey, User } from "../../shared/api/auth.ts";
import type { Role } from "../../shared/api/common.ts";
import type { AuditLog } from "../audit/types.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db/connection.ts";
import { and, asc, count, desc, eq, gt, isNull, lte, or, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { apiKeys, sessions, settings, users } from "../db/schema.ts";
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

type UserRow = typeof users.$inferSelect;
type KeyRow = typeof apiKeys.$inferSelect;

function toUser(r: UserRow): User {
  return { username: r.username, role: r.role, createdAt: new Date(r.createdAt).toISOString(), disabled: r.disabled, mustChangePassword: r.mustChangePassword };
}

/** The user a key acts for: its creator, or — for a key created with a key — that key's owner. */
function keyOwner(byLabel: (label: string) => KeyRow | undefined, r: KeyRow): string | null {
  let label = r.createdBy;
  for (let hops = 0; hops < 20; hops++) {
    if (label.startsWith("user:")) return label.slice(5);
    const parent = label.startsWith("key:") ? byLabel(label) : undefined;
    if (!parent) return null;
    label = parent.createdBy;
  }
  return null;
}

function toKey(r: KeyRow, owner: string | null): ApiKey {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    prefix: r.prefix,
    createdBy: r.createdBy,
    owner,
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: iso(r.lastUsedAt),
    expiresAt: iso(r.expiresAt),
    revokedAt: iso(r.revokedAt),
  };
}

function userPrincipal(r: UserRow): Principal {
  return { kind: "user", id: String(r.id), name: r.username, role: r.role, label: `user:${r.username}`, mustChangePassword: r.mustChangePassword };
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
  /**
   * Without a password, one is generated and returned this once (`oneTimePassword`). The user must
   * change it at first sign-in (mustChangePassword: default yes when generated, no when given).
   */
  createUser(
    input: { username: string; password?: string | undefined; role: Role; mustChangePassword?: boolean | undefined },
    actor: string,
  ): User & { oneTimePassword?: string; mustChangePassword: boolean };
  /**
   * Replaces the password with a generated one, returned this once; ends the user's sessions
   * (their API keys stay: a forgotten password is no reason to break their scripts). The user
   * must change it at the next sign-in.
   */
  resetPassword(username: string, actor: string): { username: string; oneTimePassword: string; sessionsEnded: number };
  /** The API keys acting for a user (see keyOwner), newest first. */
  userKeys(username: string): ApiKey[];
  updateUser(username: string, patch: { password?: string | undefined; role?: Role | undefined; disabled?: boolean | undefined }, actor: string): User;
  deleteUser(username: string, actor: string): void;
  /**
   * A signed-in user replaces their own password (current one required, the new one must differ)
   * and clears mustChangePassword. Wrong current passwords count against the sign-in rate limit
   * (same keys as login). Ends every session of the user and returns a fresh one for the caller.
   */
  changePassword(principal: Principal, input: { currentPassword: string; newPassword: string }, ip: string): SignedIn;
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
  const db = opts.db;
  const now = opts.now ?? Date.now;
  const limiter = opts.limiter ?? createLoginLimiter({ now });
  const ipLimiter = opts.ipLimiter ?? createLoginLimiter({ now, max: 50 });
  const audit = opts.audit;
  const refusals = opts.refusalAudit ?? createRefusalAudit({ audit, now });

  // Built once: every sign-in, cookie and key check runs these.
  const $ = sql.placeholder;
  const q = {
    userByName: db.select().from(users).where(eq(users.username, $("username"))).prepare(),
    userById: db.select().from(users).where(eq(users.id, $("id"))).prepare(),
    users: db.select().from(users).orderBy(asc(users.username)).prepare(),
    insertUser: db
      .insert(users)
      .values({
        username: $("username"),
        passwordHash: $("passwordHash"),
        role: $("role"),
        disabled: false,
        createdAt: $("createdAt"),
        mustChangePassword: $("mustChangePassword"),
      })
      .prepare(),
    activeAdmins: db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.disabled, false)))
      .prepare(),
    insertSession: db
      .insert(sessions)
      .values({ idHash: $("idHash"), userId: $("userId"), createdAt: $("t"), expiresAt: $("expiresAt"), lastSeenAt: $("t") })
      .prepare(),
    session: db.select().from(sessions).where(eq(sessions.idHash, $("idHash"))).prepare(),
    touchSession: db.update(sessions).set({ expiresAt: set$("expiresAt"), lastSeenAt: set$("t") }).where(eq(sessions.idHash, $("idHash"))).prepare(),
    deleteSession: db.delete(sessions).where(eq(sessions.idHash, $("idHash"))).prepare(),
    deleteUserSessions: db.delete(sessions).where(eq(sessions.userId, $("userId"))).prepare(),
    deleteExpired: db.delete(sessions).where(lte(sessions.expiresAt, $("t"))).prepare(),
    keyByHash: db.select().from(apiKeys).where(eq(apiKeys.keyHash, $("keyHash"))).prepare(),
    keyById: db.select().from(apiKeys).where(eq(apiKeys.id, $("id"))).prepare(),
    keys: db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt), asc(apiKeys.id)).prepare(),
    usableKeys: db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).prepare(),
    insertKey: db
      .insert(apiKeys)
      .values({
        id: $("id"),
        name: $("name"),
        role: $("role"),
        prefix: $("prefix"),
        keyHash: $("keyHash"),
        createdBy: $("createdBy"),
        createdAt: $("createdAt"),
        expiresAt: $("expiresAt"),
      })
      .prepare(),
    touchKey: db.update(apiKeys).set({ lastUsedAt: set$("t") }).where(eq(apiKeys.id, $("id"))).prepare(),
    revokeKey: db
      .update(apiKeys)
      .set({ revokedAt: set$("t") })
      .where(and(eq(apiKeys.id, $("id")), isNull(apiKeys.revokedAt)))
      .prepare(),
    // a key's name is unique among usable keys only: a "key:name" creator is the newest key of that name
    keyByName: db.select().from(apiKeys).where(eq(apiKeys.name, $("name"))).orderBy(desc(apiKeys.createdAt)).limit(1).prepare(),
    activeKeyNamed: db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.name, $("name")), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, $("t")))))
      .limit(1)
      .prepare(),
    getSetting: db.select({ value: settings.value }).from(settings).where(eq(settings.key, $("key"))).prepare(),
    setSetting: db
      .insert(settings)
      .values({ key: $("key"), value: $("value"), updatedAt: $("t") })
      .onConflictDoUpdate({ target: settings.key, set: { value: set$("value"), updatedAt: set$("t") } })
      .prepare(),
    deleteSetting: db.delete(settings).where(eq(settings.key, $("key"))).prepare(),
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

  const activeAdmins = (): number => q.activeAdmins.get()?.n ?? 0;
  const adminExists = (): boolean => activeAdmins() > 0;
  // keyOwner asks only for "key:" labels
  const ownerOf = (r: KeyRow) => keyOwner((label) => q.keyByName.get({ name: label.slice("key:".length) }), r);
  /** Revokes the usable keys acting for `username` (inside the caller's transaction). */
  function revokeOwnedKeys(username: string): KeyRow[] {
    const t = now();
    const owned = q.usableKeys.all().filter((k) => ownerOf(k) === username);
    for (const k of owned) q.revokeKey.run({ t, id: k.id });
    return owned;
  }
  function auditOwnedKeysRevoked(keys: KeyRow[], username: string, reason: "owner_disabled" | "owner_deleted", actor: string): void {
    for (const k of keys) {
      revoked({ kind: "api_key", keyId: k.id });
      audit.append({ actor, kind: "api_key", outcome: "ok", details: { action: "revoke", id: k.id, name: k.name, prefix: k.prefix, reason, owner: username } });
    }
  }
  /**
   * The sign-in rate limits (per name + address, and per address), shared by login and password
   * changes: 429 while either holds. Not one audit row per refusal (an anonymous caller could grow
   * the trail without bound): the first refusal per limiter key and window is written, the rest
   * are counted and written as one aggregate entry. The per-address limit keys on the address
   * alone ("*"), so varying usernames from one address stays one window.
   */
  function refuseWhileLimited(name: string, ip: string, what: string): void {
    const keyWait = limiter.retryAfterSec(`${name}|${ip}`);
    const wait = Math.max(keyWait, ipLimiter.retryAfterSec(ip));
    if (wait > 0) {
      refusals.refused(keyWait > 0 ? name : "*", ip);
      throw new ApiError("RATE_LIMITED", `Too many ${what}; try again in ${wait} s`, { retryAfterSec: wait });
    }
  }
  const failedPassword = (name: string, ip: string) => {
    limiter.fail(`${name}|${ip}`);
    ipLimiter.fail(ip);
  };
  const userByName = (username: string): UserRow | undefined => q.userByName.get({ username: username.trim().toLowerCase() });
  const insertUser = (username: string, password: string, role: Role, mustChangePassword = false) =>
    q.insertUser.run({ username, passwordHash: hashPassword(password), role, createdAt: now(), mustChangePassword: mustChangePassword ? 1 : 0 });

  /** 20 characters of a 56-letter alphabet (~115 bits), no look-alikes, to read out or paste once. */
  function oneTimePassword(): string {
    const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    return Array.from({ length: 20 }, () => alphabet[randomInt(alphabet.length)]).join("");
  }

  function newSession(user: UserRow): SignedIn {
    const token = randomBytes(32).toString("base64url");
    const t = now();
    q.deleteExpired.run({ t });
    q.insertSession.run({ idHash: sha256Hex(token), userId: user.id, t, expiresAt: t + SESSION_TTL_MS });
    return { principal: userPrincipal(user), sessionToken: token };
  }

  function mustUser(username: string): UserRow {
    const u = userByName(username);
    if (!u) throw new ApiError("NOT_FOUND", `No user named "${username}"`);
    return u;
  }

  function runBootstrap(): { setupCode: string | null; adminCreated: boolean } {
    if (adminExists()) {
      q.deleteSetting.run({ key: SETUP_CODE_SETTING });
      return { setupCode: null, adminCreated: false };
    }
    if (opts.config.adminPassword) {
      const existing = userByName("admin");
      if (existing) {
        // an 'admin' user exists but is not an active admin: restore it with the configured password
        db.update(users).set({ role: "admin", disabled: false, passwordHash: hashPassword(opts.config.adminPassword) }).where(eq(users.id, existing.id)).run();
      } else {
        insertUser("admin", opts.config.adminPassword, "admin");
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
    q.setSetting.run({ key: SETUP_CODE_SETTING, value: sha256Hex(code), t: now() });
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
      const stored = q.getSetting.get({ key: SETUP_CODE_SETTING });
      const given = Buffer.from(sha256Hex(input.setupCode.trim().toUpperCase()), "hex");
      const ok = stored !== undefined && timingSafeEqual(given, Buffer.from(stored.value, "hex"));
      if (!ok) {
        limiter.fail(limitKey);
        audit.append({ actor: `user:${input.username.slice(0, 64)}`, kind: "login", outcome: "failed", details: { action: "setup", ip, reason: "invalid_setup_code" } });
        throw new ApiError("SETUP_CODE_WRONG", "The setup code is wrong: use the one the server printed on its console (stderr) at its last start");
      }
      const user = db.transaction(
        () => {
          if (adminExists()) throw new ApiError("SETUP_ALREADY_DONE", "An admin account exists already; sign in instead");
          if (userByName(input.username)) throw new ApiError("USERNAME_TAKEN", `A user named "${input.username}" exists already`);
          insertUser(input.username, input.password, "admin");
          q.deleteSetting.run({ key: SETUP_CODE_SETTING });
          return userByName(input.username) as UserRow;
        },
        { behavior: "immediate" },
      );
      limiter.reset(limitKey);
      audit.append({ actor: `user:${user.username}`, kind: "user", outcome: "ok", details: { action: "setup", username: user.username, role: "admin", ip } });
      return newSession(user);
    },
    login(username, password, ip) {
      const name = username.trim().toLowerCase();
      refuseWhileLimited(name, ip, "failed sign-ins");
      const user = userByName(name);
      const passwordOk = verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!user || !passwordOk || user.disabled) {
        failedPassword(name, ip);
        const reason = !user ? "unknown_user" : !passwordOk ? "wrong_password" : "disabled";
        audit.append({ actor: `user:${name.slice(0, 64)}`, kind: "login", outcome: "failed", details: { ip, reason } });
        throw new ApiError("INVALID_CREDENTIALS", "Wrong username or password");
      }
      limiter.reset(`${name}|${ip}`);
      audit.append({ actor: `user:${user.username}`, kind: "login", outcome: "ok", details: { ip } });
      return newSession(user);
    },
    logout(sessionToken, principal) {
      const idHash = sha256Hex(sessionToken);
      const s = q.session.get({ idHash });
      const ended = q.deleteSession.run({ idHash }).changes > 0;
      if (ended && s) revoked({ kind: "session", userId: String(s.userId) });
      if (principal) audit.append({ actor: principal.label, kind: "login", outcome: "ok", details: { action: "logout" } });
    },
    sessionPrincipal(sessionToken, o = {}) {
      if (!sessionToken || sessionToken.length > 200) return null;
      const idHash = sha256Hex(sessionToken);
      const s = q.session.get({ idHash });
      if (!s) return null;
      const t = now();
      if (s.expiresAt <= t) {
        q.deleteSession.run({ idHash });
        return null;
      }
      const user = q.userById.get({ id: s.userId });
      if (!user || user.disabled) {
        q.deleteSession.run({ idHash });
        return null;
      }
      if (o.touch !== false && t - s.lastSeenAt >= SESSION_TOUCH_MS) q.touchSession.run({ expiresAt: t + SESSION_TTL_MS, t, idHash });
      return userPrincipal(user);
    },
    keyPrincipal(key, o = {}) {
      if (!key.startsWith("tm_") || key.length > 200) return null;
      const row = q.keyByHash.get({ keyHash: sha256Hex(key) });
      if (!row) return null;
      const t = now();
      if (row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= t)) return null;
      // keys written before owners' keys were revoked with them: a missing or disabled owner still ends the key
      const owner = ownerOf(row);
      if (owner !== null) {
        const u = userByName(owner);
        if (!u || u.disabled) return null;
      }
      if (o.touch !== false && (row.lastUsedAt === null || t - row.lastUsedAt >= KEY_TOUCH_MS)) q.touchKey.run({ t, id: row.id });
      return { kind: "api_key", id: row.id, name: row.name, role: row.role, label: `key:${row.name}` };
    },
    listUsers: () => q.users.all().map(toUser),
    createUser(input, actor) {
      if (userByName(input.username)) throw new ApiError("USERNAME_TAKEN", `A user named "${input.username}" exists already`);
      const generated = input.password ? undefined : oneTimePassword();
      const mustChange = input.mustChangePassword ?? generated !== undefined;
      insertUser(input.username, input.password ?? (generated as string), input.role, mustChange);
      const user = mustUser(input.username);
      audit.append({
        actor,
        kind: "user",
        outcome: "ok",
        details: { action: "create", username: user.username, role: user.role, passwordGenerated: generated !== undefined, mustChangePassword: mustChange },
      });
      return generated ? { ...toUser(user), oneTimePassword: generated, mustChangePassword: mustChange } : { ...toUser(user), mustChangePassword: mustChange };
    },
    resetPassword(username, actor) {
      const password = oneTimePassword();
      const hash = hashPassword(password);
      const { user, ended } = db.transaction(
        () => {
          const user = mustUser(username);
          db.update(users).set({ passwordHash: hash, mustChangePassword: true }).where(eq(users.id, user.id)).run();
          return { user, ended: q.deleteUserSessions.run({ userId: user.id }).changes };
        },
        { behavior: "immediate" },
      );
      revoked({ kind: "user", userId: String(user.id), reason: "password" });
      audit.append({ actor, kind: "user", outcome: "ok", details: { action: "reset_password", username: user.username, sessionsEnded: ended } });
      return { username: user.username, oneTimePassword: password, sessionsEnded: ended };
    },
    userKeys(username) {
      const user = mustUser(username);
      return q.keys
        .all()
        .filter((r) => ownerOf(r) === user.username)
        .map((r) => toKey(r, user.username));
    },
    updateUser(username, patch, actor) {
      const { user, changed, keys, revocation } = db.transaction(
        () => {
          const user = mustUser(username);
          const role = patch.role ?? user.role;
          const disabled = patch.disabled ?? user.disabled;
          const losesAdmin = user.role === "admin" && !user.disabled && (role !== "admin" || disabled);
          if (losesAdmin && activeAdmins() <= 1) {
            throw new ApiError("LAST_ADMIN", `${user.username} is the last active admin: make another user admin first`);
          }
          db.update(users)
            .set({ role, disabled, passwordHash: patch.password ? hashPassword(patch.password) : user.passwordHash })
            .where(eq(users.id, user.id))
            .run();
          // a new password, a disabled account or a changed role ends the user's sessions
          const endsSessions = Boolean(patch.password) || disabled || role !== user.role;
          if (endsSessions) q.deleteUserSessions.run({ userId: user.id });
          const changed = [patch.password ? "password" : null, role !== user.role ? "role" : null, disabled !== user.disabled ? "disabled" : null].filter(
            (x): x is string => x !== null,
          );
          const reason = disabled ? "disabled" : role !== user.role ? "role" : "password";
          // a disabled user's API keys stop with them (re-enabling does not bring them back)
          const keys = disabled && !user.disabled ? revokeOwnedKeys(user.username) : [];
          return { user: q.userById.get({ id: user.id }) as UserRow, changed, keys, revocation: endsSessions ? ({ kind: "user", userId: String(user.id), reason } as const) : null };
        },
        { behavior: "immediate" },
      );
      if (revocation) revoked(revocation);
      auditOwnedKeysRevoked(keys, user.username, "owner_disabled", actor);
      audit.append({ actor, kind: "user", outcome: "ok", details: { action: "update", username: user.username, changed, role: user.role, disabled: user.disabled } });
      return toUser(user);
    },
    deleteUser(username, actor) {
      const { user, keys } = db.transaction(
        () => {
          const user = mustUser(username);
          if (user.role === "admin" && !user.disabled && activeAdmins() <= 1) {
            throw new ApiError("LAST_ADMIN", `${user.username} is the last active admin: make another user admin first`);
          }
          db.delete(users).where(eq(users.id, user.id)).run();
          return { user, keys: revokeOwnedKeys(user.username) };
        },
        { behavior: "immediate" },
      );
      revoked({ kind: "user", userId: String(user.id), reason: "deleted" });
      auditOwnedKeysRevoked(keys, user.username, "owner_deleted", actor);
      audit.append({ actor, kind: "user", outcome: "ok", details: { action: "delete", username: user.username } });
    },
    changePassword(principal, input, ip) {
      const user = principal.kind === "user" ? q.userById.get({ id: Number(principal.id) }) : undefined;
      if (!user || user.disabled) throw new ApiError("UNAUTHENTICATED", "Sign in first");
      refuseWhileLimited(user.username, ip, "wrong passwords");
      if (!verifyPassword(input.currentPassword, user.passwordHash)) {
        failedPassword(user.username, ip);
        audit.append({ actor: principal.label, kind: "login", outcome: "failed", details: { action: "change_password", ip, reason: "wrong_password" } });
        throw new ApiError("CURRENT_PASSWORD_WRONG", "The current password is wrong; nothing changed");
      }
      limiter.reset(`${user.username}|${ip}`);
      // the current password was just verified: the same text (as the hash sees it) is no change
      if (input.newPassword.normalize("NFC") === input.currentPassword.normalize("NFC")) {
        throw new ApiError("PASSWORD_UNCHANGED", "The new password must differ from the current one", {
          issues: [{ path: "newPassword", message: "must differ from the current password", code: "custom" }],
        });
      }
      const hash = hashPassword(input.newPassword);
      const ended = db.transaction(
        () => {
          db.update(users).set({ passwordHash: hash, mustChangePassword: false }).where(eq(users.id, user.id)).run();
          return q.deleteUserSessions.run({ userId: user.id }).changes;
        },
        { behavior: "immediate" },
      );
      revoked({ kind: "user", userId: String(user.id), reason: "password" });
      audit.append({
        actor: principal.label,
        kind: "user",
        outcome: "ok",
        details: { action: "change_password", username: user.username, wasRequired: user.mustChangePassword, sessionsEnded: ended, ip },
      });
      return newSession(q.userById.get({ id: user.id }) as UserRow);
    },
    listKeys: () => q.keys.all().map((r) => toKey(r, ownerOf(r))),
    createKey(input, actor) {
      let expiresAt: number | null = null;
      if (input.expiresAt) {
        expiresAt = Date.parse(input.expiresAt);
        if (!(expiresAt > now())) throw new ApiError("VALIDATION_FAILED", "expiresAt must be in the future", { issues: [{ path: "expiresAt", message: "must be in the future", code: "custom" }] });
      }
      // The audit trail names a key by its name: two usable keys may not share one.
      const clash = q.activeKeyNamed.get({ name: input.name, t: now() });
      if (clash) throw new ApiError("KEY_NAME_TAKEN", `An active API key is already named "${input.name}"; pick another name or revoke that key first`);
      const key = `tm_${randomBytes(32).toString("base64url")}`;
      const id = randomUUID();
      q.insertKey.run({ id, name: input.name, role: input.role, prefix: key.slice(0, API_KEY_PREFIX_LENGTH), keyHash: sha256Hex(key), createdBy: actor, createdAt: now(), expiresAt });
      const row = q.keyById.get({ id }) as KeyRow;
      audit.append({ actor, kind: "api_key", outcome: "ok", details: { action: "create", id, name: row.name, role: row.role, prefix: row.prefix, expiresAt: iso(expiresAt) } });
      return { ...toKey(row, ownerOf(row)), key };
    },
    revokeKey(id, actor) {
      const row = q.keyById.get({ id });
      if (!row) throw new ApiError("NOT_FOUND", `No API key with id "${id}"`);
      if (row.revokedAt === null) {
        q.revokeKey.run({ t: now(), id });
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
