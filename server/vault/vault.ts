// The token vault over the `credentials` and `settings` tables. Only this module (and the
// rotation command) ever holds the master key or a credential in clear.
import { randomBytes } from "node:crypto";
import type { Db } from "../db/connection.ts";
import { and, eq, inArray, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { credentials, settings } from "../db/schema.ts";
import type { DeviceIdentity, GatewayCredentialStore } from "../gateway/types.ts";
import { VaultDecryptError, VaultKeyError, credentialAad, keyIdOf, open, seal, settingAad } from "./crypto.ts";
import type { CredentialInfo, CredentialKind, Vault } from "./types.ts";

/** settings key of the key check value: a random value sealed under the master key. */
export const KEY_CHECK_SETTING = "vault_key_check";
/** True once a vault key has been bound to this database (its key check value is stored). */
export function vaultInitialized(db: Db): boolean {
  return db.select({ key: settings.key }).from(settings).where(eq(settings.key, KEY_CHECK_SETTING)).get() !== undefined;
}

/** settings keys of sealed settings are "sealed:<name>". */
export const SEALED_SETTING_PREFIX = "sealed:";

const KINDS: readonly CredentialKind[] = ["gateway_token", "device_identity", "device_token"];

interface CheckValue {
  keyId: string;
  sealed: string; // base64
}

/** Stores a fresh key check value for `key` (inside the caller's transaction, if any). */
export function writeKeyCheck(db: Db, key: Buffer, now = Date.now()): void {
  const value: CheckValue = { keyId: keyIdOf(key), sealed: seal(key, randomBytes(32), settingAad(KEY_CHECK_SETTING)).toString("base64") };
  const text = JSON.stringify(value);
  db.insert(settings)
    .values({ key: KEY_CHECK_SETTING, value: text, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: text, updatedAt: now } })
    .run();
}

/**
 * Throws VaultKeyError when `key` is not the key this database was sealed with. On a database
 * without a check value (first start), stores one.
 */
export function assertKeyMatches(db: Db, key: Buffer): void {
  const row = db.select({ value: settings.value }).from(settings).where(eq(settings.key, KEY_CHECK_SETTING)).get();
  if (!row) {
    const anySealed = db.select({ keyId: credentials.keyId }).from(credentials).limit(1).get();
    if (anySealed && anySealed.keyId !== keyIdOf(key)) {
      throw new VaultKeyError(
        `Wrong vault key: credentials in this database were sealed with key ${anySealed.keyId}, the configured key is ${keyIdOf(key)}. ` +
          "Set MESH_VAULT_KEY (or restore vault.key in the data dir) to the key this database is sealed with (the one in use before, or after the last `team-mesh vault rotate`).",
      );
    }
    writeKeyCheck(db, key);
    return;
  }
  let check: CheckValue;
  try {
    check = JSON.parse(row.value) as CheckValue;
  } catch {
    throw new VaultKeyError(`The vault key check value in settings is corrupt; cannot verify the vault key`);
  }
  try {
    open(key, Buffer.from(check.sealed, "base64"), settingAad(KEY_CHECK_SETTING));
  } catch (err) {
    if (!(err instanceof VaultDecryptError)) throw err;
    throw new VaultKeyError(
      `Wrong vault key: this database was sealed with key ${check.keyId}, the configured key is ${keyIdOf(key)}. ` +
        "Set MESH_VAULT_KEY (or restore vault.key in the data dir) to the key this database is sealed with (after a `team-mesh vault rotate`, the new one); without it the stored credentials cannot be read.",
    );
  }
}

export interface VaultOptions {
  now?: () => number;
}

/** Opens the vault; a wrong key fails here, loudly, with VaultKeyError. */
export function createVault(db: Db, key: Buffer, opts: VaultOptions = {}): Vault {
  if (key.length !== 32) throw new VaultKeyError("Vault key must be 32 bytes");
  const masterKey = Buffer.from(key); // private copy
  const keyId = keyIdOf(masterKey);
  const now = opts.now ?? Date.now;
  assertKeyMatches(db, masterKey);

  const $ = sql.placeholder;
  const teammateKind = and(eq(credentials.teammateId, $("teammateId")), eq(credentials.kind, $("kind")));
  const stmts = {
    upsert: db
      .insert(credentials)
      .values({ teammateId: $("teammateId"), kind: $("kind"), sealed: $("sealed"), keyId: $("keyId"), setAt: $("setAt"), lastUsedAt: null })
      .onConflictDoUpdate({
        target: [credentials.teammateId, credentials.kind],
        set: { sealed: set$("sealed"), keyId: set$("keyId"), setAt: set$("setAt"), lastUsedAt: null },
      })
      .prepare(),
    get: db
      .select({ sealed: credentials.sealed, keyId: credentials.keyId, setAt: credentials.setAt, lastUsedAt: credentials.lastUsedAt })
      .from(credentials)
      .where(teammateKind)
      .prepare(),
    removeOne: db.delete(credentials).where(teammateKind).prepare(),
    removeAll: db.delete(credentials).where(eq(credentials.teammateId, $("teammateId"))).prepare(),
    all: db
      .select({ teammateId: credentials.teammateId, kind: credentials.kind, setAt: credentials.setAt, lastUsedAt: credentials.lastUsedAt })
      .from(credentials)
      .prepare(),
    markUsed: db.update(credentials).set({ lastUsedAt: set$("t") }).where(teammateKind).prepare(),
    markAllUsed: db
      .update(credentials)
      .set({ lastUsedAt: set$("t") })
      .where(and(eq(credentials.teammateId, $("teammateId")), inArray(credentials.kind, ["gateway_token", "device_token"])))
      .prepare(),
    setSetting: db
      .insert(settings)
      .values({ key: $("key"), value: $("value"), updatedAt: $("t") })
      .onConflictDoUpdate({ target: settings.key, set: { value: set$("value"), updatedAt: set$("t") } })
      .prepare(),
    getSetting: db.select({ value: settings.value }).from(settings).where(eq(settings.key, $("key"))).prepare(),
  };

  function checkKind(kind: string): asserts kind is CredentialKind {
    if (!KINDS.includes(kind as CredentialKind)) throw new Error(`Unknown credential kind: ${kind}`);
  }

  const vault: Vault = {
    put(teammateId, kind, plaintext) {
      checkKind(kind);
      const sealed = seal(masterKey, Buffer.from(plaintext, "utf8"), credentialAad(teammateId, kind));
      stmts.upsert.run({ teammateId, kind, sealed, keyId, setAt: now() });
    },
    get(teammateId, kind) {
      checkKind(kind);
      const row = stmts.get.get({ teammateId, kind });
      if (!row) return null;
      return open(masterKey, row.sealed, credentialAad(teammateId, kind)).toString("utf8");
    },
    remove(teammateId, kind) {
      if (kind) {
        checkKind(kind);
        stmts.removeOne.run({ teammateId, kind });
      } else stmts.removeAll.run({ teammateId });
    },
    info(teammateId, kind) {
      const row = stmts.get.get({ teammateId, kind });
      return row ? { setAt: row.setAt, lastUsedAt: row.lastUsedAt } : null;
    },
    infoAll() {
      const out = new Map<number, Partial<Record<CredentialKind, CredentialInfo>>>();
      for (const r of stmts.all.all()) {
        const entry = out.get(r.teammateId) ?? {};
        entry[r.kind as CredentialKind] = { setAt: r.setAt, lastUsedAt: r.lastUsedAt };
        out.set(r.teammateId, entry);
      }
      return out;
    },
    markUsed(teammateId, kind) {
      stmts.markUsed.run({ t: now(), teammateId, kind });
    },
    gatewayCredentials() {
      return gatewayCredentialStore(vault, (id) => stmts.markAllUsed.run({ t: now(), teammateId: id }));
    },
    sealSetting(name, plaintext) {
      const sealed = seal(masterKey, plaintext, settingAad(name));
      stmts.setSetting.run({ key: SEALED_SETTING_PREFIX + name, value: JSON.stringify({ keyId, sealed: sealed.toString("base64") }), t: now() });
    },
    openSetting(name) {
      const row = stmts.getSetting.get({ key: SEALED_SETTING_PREFIX + name });
      if (!row) return null;
      const parsed = JSON.parse(row.value) as { sealed: string };
      return open(masterKey, Buffer.from(parsed.sealed, "base64"), settingAad(name));
    },
  };
  return vault;
}

function parseJson<T>(text: string | null, what: string): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`Stored ${what} is not valid JSON`);
  }
}

/** The connector's view of the vault: device identity and device token stored as JSON. */
function gatewayCredentialStore(vault: Vault, markUsed: (teammateId: number) => void): GatewayCredentialStore {
  return {
    gatewayToken: (id) => vault.get(id, "gateway_token"),
    deviceIdentity: (id) => parseJson<DeviceIdentity>(vault.get(id, "device_identity"), "device identity"),
    saveDeviceIdentity: (id, identity) =>
      vault.put(id, "device_identity", JSON.stringify({ deviceId: identity.deviceId, publicKeyPem: identity.publicKeyPem, privateKeyPem: identity.privateKeyPem })),
    deviceToken: (id) => {
      const t = parseJson<{ token: string; scopes: string[] }>(vault.get(id, "device_token"), "device token");
      return t ? { token: t.token, scopes: Array.isArray(t.scopes) ? [...t.scopes] : [] } : null;
    },
    saveDeviceToken: (id, token, scopes) => vault.put(id, "device_token", JSON.stringify({ token, scopes: [...scopes] })),
    clearDeviceToken: (id) => vault.remove(id, "device_token"),
    markUsed,
  };
}
