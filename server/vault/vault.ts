// The token vault over the `credentials` and `settings` tables. Only this module (and the
// rotation command) ever holds the master key or a credential in clear.
import { randomBytes } from "node:crypto";
import type { Db } from "../db/connection.ts";
import type { DeviceIdentity, GatewayCredentialStore } from "../gateway/types.ts";
import { VaultDecryptError, VaultKeyError, credentialAad, keyIdOf, open, seal, settingAad } from "./crypto.ts";
import type { CredentialInfo, CredentialKind, Vault } from "./types.ts";

/** settings key of the key check value: a random value sealed under the master key. */
export const KEY_CHECK_SETTING = "vault_key_check";
/** True once a vault key has been bound to this database (its key check value is stored). */
export function vaultInitialized(db: Db): boolean {
  return db.$client.prepare("select 1 from settings where key = ?").get(KEY_CHECK_SETTING) !== undefined;
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
  db.$client
    .prepare("insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at")
    .run(KEY_CHECK_SETTING, JSON.stringify(value), now);
}

/**
 * Throws VaultKeyError when `key` is not the key this database was sealed with. On a database
 * without a check value (first start), stores one.
 */
export function assertKeyMatches(db: Db, key: Buffer): void {
  const row = db.$client.prepare("select value from settings where key = ?").get(KEY_CHECK_SETTING) as { value: string } | undefined;
  if (!row) {
    const anySealed = db.$client.prepare("select key_id from credentials limit 1").get() as { key_id: string } | undefined;
    if (anySealed && anySealed.key_id !== keyIdOf(key)) {
      throw new VaultKeyError(
        `Wrong vault key: credentials in this database were sealed with key ${anySealed.key_id}, the configured key is ${keyIdOf(key)}. ` +
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

interface CredRow {
  sealed: Buffer;
  key_id: string;
  set_at: number;
  last_used_at: number | null;
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

  const sql = db.$client;
  const stmts = {
    upsert: sql.prepare(
      "insert into credentials(teammate_id, kind, sealed, key_id, set_at, last_used_at) values (?, ?, ?, ?, ?, null) " +
        "on conflict(teammate_id, kind) do update set sealed = excluded.sealed, key_id = excluded.key_id, set_at = excluded.set_at, last_used_at = null",
    ),
    get: sql.prepare("select sealed, key_id, set_at, last_used_at from credentials where teammate_id = ? and kind = ?"),
    removeOne: sql.prepare("delete from credentials where teammate_id = ? and kind = ?"),
    removeAll: sql.prepare("delete from credentials where teammate_id = ?"),
    all: sql.prepare("select teammate_id, kind, set_at, last_used_at from credentials"),
    markUsed: sql.prepare("update credentials set last_used_at = ? where teammate_id = ? and kind = ?"),
    markAllUsed: sql.prepare("update credentials set last_used_at = ? where teammate_id = ? and kind in ('gateway_token', 'device_token')"),
    setSetting: sql.prepare(
      "insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at",
    ),
    getSetting: sql.prepare("select value from settings where key = ?"),
  };

  function checkKind(kind: string): asserts kind is CredentialKind {
    if (!KINDS.includes(kind as CredentialKind)) throw new Error(`Unknown credential kind: ${kind}`);
  }

  const vault: Vault = {
    put(teammateId, kind, plaintext) {
      checkKind(kind);
      const sealed = seal(masterKey, Buffer.from(plaintext, "utf8"), credentialAad(teammateId, kind));
      stmts.upsert.run(teammateId, kind, sealed, keyId, now());
    },
    get(teammateId, kind) {
      checkKind(kind);
      const row = stmts.get.get(teammateId, kind) as CredRow | undefined;
      if (!row) return null;
      return open(masterKey, row.sealed, credentialAad(teammateId, kind)).toString("utf8");
    },
    remove(teammateId, kind) {
      if (kind) {
        checkKind(kind);
        stmts.removeOne.run(teammateId, kind);
      } else stmts.removeAll.run(teammateId);
    },
    info(teammateId, kind) {
      const row = stmts.get.get(teammateId, kind) as CredRow | undefined;
      return row ? { setAt: row.set_at, lastUsedAt: row.last_used_at } : null;
    },
    infoAll() {
      const out = new Map<number, Partial<Record<CredentialKind, CredentialInfo>>>();
      for (const r of stmts.all.all() as { teammate_id: number; kind: CredentialKind; set_at: number; last_used_at: number | null }[]) {
        const entry = out.get(r.teammate_id) ?? {};
        entry[r.kind] = { setAt: r.set_at, lastUsedAt: r.last_used_at };
        out.set(r.teammate_id, entry);
      }
      return out;
    },
    markUsed(teammateId, kind) {
      stmts.markUsed.run(now(), teammateId, kind);
    },
    gatewayCredentials() {
      return gatewayCredentialStore(vault, (id) => stmts.markAllUsed.run(now(), id));
    },
    sealSetting(name, plaintext) {
      const sealed = seal(masterKey, plaintext, settingAad(name));
      stmts.setSetting.run(SEALED_SETTING_PREFIX + name, JSON.stringify({ keyId, sealed: sealed.toString("base64") }), now());
    },
    openSetting(name) {
      const row = stmts.getSetting.get(SEALED_SETTING_PREFIX + name) as { value: string } | undefined;
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
