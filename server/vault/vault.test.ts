import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { createVault, keyIdOf, loadMasterKey, rotateVaultKey, VaultDecryptError, VaultKeyError } from "./index.ts";
import { vaultRotateCommand } from "../admin/vault-rotate.ts";
import { addTeammate, tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

let t: TmpDb;
beforeEach(() => {
  t = tmpDb();
});
afterEach(() => t.cleanup());

const TOKEN = "gw-token-SECRET-0123456789abcdef";

describe("vault", () => {
  it("round-trips a credential and reports info without the value", () => {
    const key = randomBytes(32);
    const v = createVault(t.db, key);
    const id = addTeammate(t.db, "alice");
    expect(v.get(id, "gateway_token")).toBeNull();
    expect(v.info(id, "gateway_token")).toBeNull();
    v.put(id, "gateway_token", TOKEN);
    expect(v.get(id, "gateway_token")).toBe(TOKEN);
    const info = v.info(id, "gateway_token");
    expect(info?.setAt).toBeGreaterThan(0);
    expect(info?.lastUsedAt).toBeNull();
    expect(JSON.stringify(info)).not.toContain(TOKEN);
    v.markUsed(id, "gateway_token");
    expect(v.info(id, "gateway_token")?.lastUsedAt).toBeGreaterThan(0);
    const all = v.infoAll();
    expect(Object.keys(all.get(id) ?? {})).toEqual(["gateway_token"]);
    // replacing resets lastUsedAt
    v.put(id, "gateway_token", "other");
    expect(v.get(id, "gateway_token")).toBe("other");
    expect(v.info(id, "gateway_token")?.lastUsedAt).toBeNull();
    v.remove(id, "gateway_token");
    expect(v.get(id, "gateway_token")).toBeNull();
  });

  it("uses a fresh nonce per value (same plaintext, different ciphertext)", () => {
    const v = createVault(t.db, randomBytes(32));
    const a = addTeammate(t.db, "a");
    v.put(a, "gateway_token", TOKEN);
    const first = (t.db.$client.prepare("select sealed from credentials").get() as { sealed: Buffer }).sealed;
    v.put(a, "gateway_token", TOKEN);
    const second = (t.db.$client.prepare("select sealed from credentials").get() as { sealed: Buffer }).sealed;
    expect(first.equals(second)).toBe(false);
    expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
  });

  it("fails loudly at open with a wrong key, naming both key ids", () => {
    const key = randomBytes(32);
    createVault(t.db, key).sealSetting("x", Buffer.from("y"));
    const wrong = randomBytes(32);
    let err: unknown;
    try {
      createVault(t.reopen(), wrong);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VaultKeyError);
    expect(String((err as Error).message)).toContain(keyIdOf(key));
    expect(String((err as Error).message)).toContain(keyIdOf(wrong));
    // the right key still opens
    expect(createVault(t.reopen(), key).openSetting("x")?.toString()).toBe("y");
  });

  it("binds a value to its row and kind (associated data)", () => {
    const v = createVault(t.db, randomBytes(32));
    const a = addTeammate(t.db, "a");
    const b = addTeammate(t.db, "b");
    v.put(a, "gateway_token", "token-of-a");
    v.put(b, "gateway_token", "token-of-b");
    // attacker with file access swaps the ciphertexts between rows
    const sql = t.db.$client;
    const sa = (sql.prepare("select sealed from credentials where teammate_id = ?").get(a) as { sealed: Buffer }).sealed;
    const sb = (sql.prepare("select sealed from credentials where teammate_id = ?").get(b) as { sealed: Buffer }).sealed;
    sql.prepare("update credentials set sealed = ? where teammate_id = ?").run(sb, a);
    sql.prepare("update credentials set sealed = ? where teammate_id = ?").run(sa, b);
    expect(() => v.get(a, "gateway_token")).toThrow(VaultDecryptError);
    expect(() => v.get(b, "gateway_token")).toThrow(VaultDecryptError);
    // moving a value to another kind of the same teammate fails too
    v.put(a, "device_token", JSON.stringify({ token: "d", scopes: [] }));
    sql.prepare("update credentials set sealed = ? where teammate_id = ? and kind = 'device_token'").run(sa, a);
    expect(() => v.get(a, "device_token")).toThrow(VaultDecryptError);
    // a flipped bit fails
    const flipped = Buffer.from(sb);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    sql.prepare("update credentials set sealed = ? where teammate_id = ?").run(flipped, b);
    expect(() => v.get(b, "gateway_token")).toThrow(VaultDecryptError);
  });

  it("seals settings, bound to their name", () => {
    const v = createVault(t.db, randomBytes(32));
    v.sealSetting("audit_key", Buffer.from("k1"));
    v.sealSetting("other", Buffer.from("k2"));
    expect(v.openSetting("audit_key")?.toString()).toBe("k1");
    expect(v.openSetting("missing")).toBeNull();
    const sql = t.db.$client;
    const other = (sql.prepare("select value from settings where key = 'sealed:other'").get() as { value: string }).value;
    sql.prepare("update settings set value = ? where key = 'sealed:audit_key'").run(other);
    expect(() => v.openSetting("audit_key")).toThrow(VaultDecryptError);
  });

  it("adapts to the gateway credential store (JSON kinds, markUsed)", () => {
    const v = createVault(t.db, randomBytes(32));
    const id = addTeammate(t.db, "a");
    const store = v.gatewayCredentials();
    expect(store.gatewayToken(id)).toBeNull();
    expect(store.deviceIdentity(id)).toBeNull();
    expect(store.deviceToken(id)).toBeNull();
    v.put(id, "gateway_token", TOKEN);
    expect(store.gatewayToken(id)).toBe(TOKEN);
    const identity = { deviceId: "ab".repeat(32), publicKeyPem: "PUB", privateKeyPem: "-----BEGIN PRIVATE KEY-----x" };
    store.saveDeviceIdentity(id, identity);
    expect(store.deviceIdentity(id)).toEqual(identity);
    store.saveDeviceToken(id, "dev-tok", ["operator.read", "operator.write"]);
    expect(store.deviceToken(id)).toEqual({ token: "dev-tok", scopes: ["operator.read", "operator.write"] });
    store.markUsed(id);
    expect(v.info(id, "gateway_token")?.lastUsedAt).toBeGreaterThan(0);
    expect(v.info(id, "device_token")?.lastUsedAt).toBeGreaterThan(0);
    store.clearDeviceToken(id);
    expect(store.deviceToken(id)).toBeNull();
    expect(store.deviceIdentity(id)).toEqual(identity);
  });

  it("never writes a credential in clear to the database files", () => {
    const v = createVault(t.db, randomBytes(32));
    const id = addTeammate(t.db, "a");
    const secret = `plain-${randomBytes(16).toString("hex")}`;
    v.put(id, "gateway_token", secret);
    v.gatewayCredentials().saveDeviceToken(id, `${secret}-dev`, ["s"]);
    v.sealSetting("audit_key", Buffer.from(`${secret}-setting`));
    expect(v.get(id, "gateway_token")).toBe(secret);
    const files = [t.file, `${t.file}-wal`].filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    let total = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      total += bytes.length;
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, "utf8").toString("base64").slice(0, 20))).toBe(false);
    }
    expect(total).toBeGreaterThan(0);
    // and the check is real: an unsealed setting does appear in the bytes
    t.db.$client.prepare("insert into settings(key, value, updated_at) values ('probe', ?, 0)").run(secret);
    const all = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(all.includes(Buffer.from(secret))).toBe(true);
  });
});

describe("master key", () => {
  it("uses MESH_VAULT_KEY when set", () => {
    const key = randomBytes(32);
    const mk = loadMasterKey({ vaultKey: key.toString("base64"), dataDir: t.dir });
    expect(mk.source).toBe("env");
    expect(mk.key.equals(key)).toBe(true);
    expect(existsSync(join(t.dir, "vault.key"))).toBe(false);
  });

  it("generates a key file with mode 0600 on first start and reuses it", () => {
    const dir = join(t.dir, "data");
    const first = loadMasterKey({ dataDir: dir });
    expect(first.source).toBe("generated");
    const file = join(dir, "vault.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadMasterKey({ dataDir: dir });
    expect(second.source).toBe("file");
    expect(second.key.equals(first.key)).toBe(true);
    expect(second.keyId).toBe(first.keyId);
    expect(first.keyId).toMatch(/^[0-9a-f]{12}$/);
  });

  it("never generates a new key for a database whose vault already has one", () => {
    const dir = join(t.dir, "lost");
    expect(() => loadMasterKey({ dataDir: dir }, { vaultExists: true })).toThrow(/key file .* is missing/);
    expect(existsSync(join(dir, "vault.key"))).toBe(false);
  });

  it("refuses a key file readable by others and a malformed key", () => {
    const file = join(t.dir, "vault.key");
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => loadMasterKey({ dataDir: t.dir })).toThrow(/chmod 600/);
    chmodSync(file, 0o600);
    writeFileSync(file, "c2hvcnQ=");
    expect(() => loadMasterKey({ dataDir: t.dir })).toThrow(VaultKeyError);
    expect(() => loadMasterKey({ dataDir: t.dir, vaultKey: "c2hvcnQ=" })).toThrow(/MESH_VAULT_KEY/);
  });
});

describe("key rotation", () => {
  it("re-encrypts every credential and sealed setting in one go", () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const v = createVault(t.db, oldKey);
    const a = addTeammate(t.db, "a");
    const b = addTeammate(t.db, "b");
    v.put(a, "gateway_token", "ta");
    v.put(b, "gateway_token", "tb");
    v.gatewayCredentials().saveDeviceToken(b, "db", ["x"]);
    v.sealSetting("audit_key", Buffer.from("ak"));
    const report = rotateVaultKey(t.db, oldKey, newKey);
    expect(report).toEqual({ oldKeyId: keyIdOf(oldKey), newKeyId: keyIdOf(newKey), credentials: 3, settings: 1 });
    expect(() => createVault(t.reopen(), oldKey)).toThrow(VaultKeyError);
    const v2 = createVault(t.reopen(), newKey);
    expect(v2.get(a, "gateway_token")).toBe("ta");
    expect(v2.get(b, "gateway_token")).toBe("tb");
    expect(v2.gatewayCredentials().deviceToken(b)).toEqual({ token: "db", scopes: ["x"] });
    expect(v2.openSetting("audit_key")?.toString()).toBe("ak");
    const ids = t.db.$client.prepare("select distinct key_id from credentials").all() as { key_id: string }[];
    expect(ids).toEqual([{ key_id: keyIdOf(newKey) }]);
  });

  it("touches nothing when the old key is wrong or a value is corrupt", () => {
    const oldKey = randomBytes(32);
    const v = createVault(t.db, oldKey);
    const a = addTeammate(t.db, "a");
    const b = addTeammate(t.db, "b");
    v.put(a, "gateway_token", "ta");
    v.put(b, "gateway_token", "tb");
    expect(() => rotateVaultKey(t.db, randomBytes(32), randomBytes(32))).toThrow(VaultKeyError);
    // corrupt b: rotation must roll back a's re-encryption too
    t.db.$client.prepare("update credentials set sealed = zeroblob(40) where teammate_id = ?").run(b);
    const newKey = randomBytes(32);
    expect(() => rotateVaultKey(t.db, oldKey, newKey)).toThrow(VaultDecryptError);
    expect(createVault(t.reopen(), oldKey).get(a, "gateway_token")).toBe("ta");
  });

  it("the command rotates a key-file setup and replaces the file (mode 0600)", () => {
    const config = { dataDir: t.dir, dbFile: t.file, vaultKey: undefined };
    const mk = loadMasterKey(config);
    const v = createVault(t.db, mk.key);
    const a = addTeammate(t.db, "a");
    v.put(a, "gateway_token", "ta");
    t.db.$client.close();
    const res = vaultRotateCommand(config);
    expect(res.keySource).toBe("file");
    expect(res.newKeyBase64).toBeNull();
    expect(res.credentials).toBe(1);
    const file = join(t.dir, "vault.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.new`)).toBe(false);
    const nk = loadMasterKey(config);
    expect(nk.keyId).toBe(res.newKeyId);
    expect(nk.keyId).not.toBe(mk.keyId);
    expect(createVault(t.reopen(), nk.key).get(a, "gateway_token")).toBe("ta");
  });

  it("the command returns a generated key once for an env-key setup", () => {
    const oldKey = randomBytes(32);
    const config = { dataDir: t.dir, dbFile: t.file, vaultKey: oldKey.toString("base64") };
    const v = createVault(t.db, oldKey);
    v.put(addTeammate(t.db, "a"), "gateway_token", "ta");
    const res = vaultRotateCommand(config);
    expect(res.keySource).toBe("env");
    expect(res.newKeyBase64).toBeTruthy();
    const nk = Buffer.from(res.newKeyBase64 as string, "base64");
    expect(keyIdOf(nk)).toBe(res.newKeyId);
    expect(createVault(t.reopen(), nk).info(1, "gateway_token")).not.toBeNull();
  });
});
