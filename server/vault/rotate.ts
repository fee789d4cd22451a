// Re-encrypts every credential and sealed setting under a new master key, in one transaction.
import type { Db } from "../db/connection.ts";
import { VaultKeyError, credentialAad, keyIdOf, open, seal, settingAad } from "./crypto.ts";
import { SEALED_SETTING_PREFIX, assertKeyMatches, writeKeyCheck } from "./vault.ts";

export interface RotationReport {
  oldKeyId: string;
  newKeyId: string;
  credentials: number;
  settings: number;
}

export function rotateVaultKey(db: Db, oldKey: Buffer, newKey: Buffer): RotationReport {
  if (oldKey.length !== 32 || newKey.length !== 32) throw new VaultKeyError("Vault keys must be 32 bytes");
  if (oldKey.equals(newKey)) throw new VaultKeyError("The new vault key is the same as the old one");
  const sql = db.$client;
  const newKeyId = keyIdOf(newKey);
  const run = sql.transaction((): RotationReport => {
    assertKeyMatches(db, oldKey); // wrong old key: nothing is touched
    const creds = sql.prepare("select teammate_id, kind, sealed from credentials").all() as { teammate_id: number; kind: string; sealed: Buffer }[];
    const updCred = sql.prepare("update credentials set sealed = ?, key_id = ? where teammate_id = ? and kind = ?");
    for (const c of creds) {
      const aad = credentialAad(c.teammate_id, c.kind);
      const plain = open(oldKey, c.sealed, aad);
      updCred.run(seal(newKey, plain, aad), newKeyId, c.teammate_id, c.kind);
      plain.fill(0);
    }
    const sets = sql.prepare("select key, value from settings where key like ? escape '\\'").all(`${SEALED_SETTING_PREFIX.replace(/[_%\\]/g, "\\$&")}%`) as {
      key: string;
      value: string;
    }[];
    const updSet = sql.prepare("update settings set value = ?, updated_at = ? where key = ?");
    const now = Date.now();
    for (const s of sets) {
      const name = s.key.slice(SEALED_SETTING_PREFIX.length);
      const parsed = JSON.parse(s.value) as { sealed: string };
      const plain = open(oldKey, Buffer.from(parsed.sealed, "base64"), settingAad(name));
      updSet.run(JSON.stringify({ keyId: newKeyId, sealed: seal(newKey, plain, settingAad(name)).toString("base64") }), now, s.key);
      plain.fill(0);
    }
    writeKeyCheck(db, newKey, now);
    return { oldKeyId: keyIdOf(oldKey), newKeyId, credentials: creds.length, settings: sets.length };
  });
  return run.immediate();
}
