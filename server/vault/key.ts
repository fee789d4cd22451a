// Where the vault master key comes from: MESH_VAULT_KEY (base64 of 32 bytes), else the key file
// <dataDir>/vault.key, created on first start with mode 0600 and never overwritten.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { KEY_BYTES, VaultKeyError, keyIdOf } from "./crypto.ts";

export const VAULT_KEY_FILE = "vault.key";

export interface MasterKey {
  key: Buffer;
  keyId: string;
  source: "env" | "file" | "generated";
  /** The key file, when the key came from (or was written to) one. */
  file: string | null;
}

export function decodeKey(base64: string, where: string): Buffer {
  const key = Buffer.from(base64.trim(), "base64");
  if (key.length !== KEY_BYTES) {
    throw new VaultKeyError(`${where}: the vault key must be base64 of exactly ${KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

export function keyFilePath(dataDir: string): string {
  return join(dataDir, VAULT_KEY_FILE);
}

/** Writes a new key file exclusively (fails if it exists) with mode 0600. */
export function writeKeyFile(path: string, key: Buffer): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, `${key.toString("base64")}\n`);
  } finally {
    closeSync(fd);
  }
}

export function readKeyFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new VaultKeyError(
      `Vault key file ${path} is readable by other users (mode ${mode.toString(8)}); run \`chmod 600 ${path}\` and start again`,
    );
  }
  return decodeKey(readFileSync(path, "utf8"), path);
}

/**
 * Loads the master key, generating the key file on first start. `vaultExists` (the database
 * already holds a key check value) forbids generating: a missing key file then is a lost key,
 * and a fresh one would only hide that.
 */
export function loadMasterKey(config: { vaultKey?: string | undefined; dataDir: string }, opts: { vaultExists?: boolean } = {}): MasterKey {
  if (config.vaultKey) {
    const key = decodeKey(config.vaultKey, "MESH_VAULT_KEY");
    return { key, keyId: keyIdOf(key), source: "env", file: null };
  }
  mkdirSync(config.dataDir, { recursive: true });
  const file = keyFilePath(config.dataDir);
  if (opts.vaultExists && !existsSync(file)) {
    throw new VaultKeyError(
      `The database's credentials are sealed under a vault key, but the key file ${file} is missing and MESH_VAULT_KEY is unset. ` +
        "Restore the key file from where you keep it (or set MESH_VAULT_KEY); a new key cannot open the existing credentials.",
    );
  }
  try {
    const key = randomBytes(KEY_BYTES);
    writeKeyFile(file, key);
    return { key, keyId: keyIdOf(key), source: "generated", file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const key = readKeyFile(file);
  return { key, keyId: keyIdOf(key), source: "file", file };
}
