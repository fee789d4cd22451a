// `team-mesh vault rotate`: re-encrypts every stored credential and sealed setting under a new
// master key. Stop the server first (a running server keeps using the old key).
//
//   team-mesh vault rotate                       # key file setup: new key written to <dataDir>/vault.key
//   team-mesh vault rotate --new-key <base64>    # MESH_VAULT_KEY setup: then set MESH_VAULT_KEY to it
//
// Key-file setups: the new key is first written to vault.key.new (mode 0600), then the database is
// re-encrypted in one transaction, then vault.key.new replaces vault.key. A crash between the
// two steps leaves both files; the database tells which one is right (key check value).
// MESH_VAULT_KEY setups: without --new-key a key is generated and returned once (`newKeyBase64`)
// so the operator can put it into the environment; the database no longer opens with the old one.
import { randomBytes } from "node:crypto";
import { existsSync, renameSync, rmSync } from "node:fs";
import type { Config } from "../config.ts";
import { applyMigrations, openDatabase } from "../db/connection.ts";
import { decodeKey, keyFilePath, loadMasterKey, writeKeyFile } from "../vault/key.ts";
import { rotateVaultKey, type RotationReport } from "../vault/rotate.ts";

export { rotateVaultKey };

export interface VaultRotateResult extends RotationReport {
  /** Where the new key now lives. */
  keySource: "file" | "env";
  keyFile: string | null;
  /** Only when the key came from MESH_VAULT_KEY and no new key was given: shown once, set it in the environment. */
  newKeyBase64: string | null;
}

export function vaultRotateCommand(
  config: Pick<Config, "dataDir" | "dbFile" | "vaultKey">,
  opts: { newKeyBase64?: string } = {},
): VaultRotateResult {
  const old = loadMasterKey(config);
  if (old.source === "generated") {
    // There was no key: nothing can be sealed yet. Remove the file we just created.
    if (old.file) rmSync(old.file, { force: true });
    throw new Error(`No vault key found (neither MESH_VAULT_KEY nor ${keyFilePath(config.dataDir)}); nothing to rotate`);
  }
  const newKey = opts.newKeyBase64 ? decodeKey(opts.newKeyBase64, "--new-key") : randomBytes(32);
  const db = openDatabase(config.dbFile);
  try {
    applyMigrations(db);
    if (old.source === "env") {
      const report = rotateVaultKey(db, old.key, newKey);
      return { ...report, keySource: "env", keyFile: null, newKeyBase64: opts.newKeyBase64 ? null : newKey.toString("base64") };
    }
    const file = old.file as string;
    const pending = `${file}.new`;
    if (existsSync(pending)) {
      throw new Error(`${pending} exists: a previous rotation did not finish. Check which key opens the database, keep it as vault.key, delete the other`);
    }
    writeKeyFile(pending, newKey);
    let report: RotationReport;
    try {
      report = rotateVaultKey(db, old.key, newKey);
    } catch (err) {
      rmSync(pending, { force: true });
      throw err;
    }
    renameSync(pending, file);
    return { ...report, keySource: "file", keyFile: file, newKeyBase64: null };
  } finally {
    db.$client.close();
  }
}
