// Re-encrypts every credential and sealed setting under a new master key, in one transaction.
import type { Db } from "../db/connection.ts";
import { and, eq, like, setPlaceholder as set$, sql } from "../db/drizzle.ts";
import { credentials, settings } from "../db/schema.ts";
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
  const newKeyId = keyIdOf(newKey);
  const $ = sql.placeholder;
  return db.transaction(
    (): RotationReport => {
      assertKeyMatches(db, oldKey); // wrong old key: nothing is touched
      const creds = db.select({ teammateId: credentials.teammateId, kind: credentials.kind, sealed: credentials.sealed }).from(credentials).all();
      const updCred = db
        .update(credentials)
        .set({ sealed: set$("sealed"), keyId: set$("keyId") })
        .where(and(eq(credentials.teammateId, $("teammateId")), eq(credentials.kind, $("kind"))))
        .prepare();
      for (const c of creds) {
        const aad = credentialAad(c.teammateId, c.kind);
        const plain = open(oldKey, c.sealed, aad);
        updCred.run({ sealed: seal(newKey, plain, aad), keyId: newKeyId, teammateId: c.teammateId, kind: c.kind });
        plain.fill(0);
      }
      // the prefix holds no LIKE wildcard (% or _), so it needs no escaping
      const sets = db.select({ key: settings.key, value: settings.value }).from(settings).where(like(settings.key, `${SEALED_SETTING_PREFIX}%`)).all();
      const updSet = db
        .update(settings)
        .set({ value: set$("value"), updatedAt: set$("t") })
        .where(eq(settings.key, $("key")))
        .prepare();
      const now = Date.now();
      for (const s of sets) {
        const name = s.key.slice(SEALED_SETTING_PREFIX.length);
        const parsed = JSON.parse(s.value) as { sealed: string };
        const plain = open(oldKey, Buffer.from(parsed.sealed, "base64"), settingAad(name));
        updSet.run({ value: JSON.stringify({ keyId: newKeyId, sealed: seal(newKey, plain, settingAad(name)).toString("base64") }), t: now, key: s.key });
        plain.fill(0);
      }
      writeKeyCheck(db, newKey, now);
      return { oldKeyId: keyIdOf(oldKey), newKeyId, credentials: creds.length, settings: sets.length };
    },
    { behavior: "immediate" },
  );
}
