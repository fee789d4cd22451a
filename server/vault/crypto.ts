// AES-256-GCM sealing with associated data. Layout of a sealed value: nonce(12) | tag(16) | ciphertext.
// The associated data names where the value lives ("teammate:<id>:<kind>", "setting:<name>"), so
// a ciphertext copied to another row or kind fails authentication instead of decrypting.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export class VaultKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultKeyError";
  }
}

/** A sealed value that does not authenticate (wrong key, tampered bytes, or moved to another row). */
export class VaultDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultDecryptError";
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new VaultKeyError(`Vault key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  checkKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), ct]);
}

export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  checkKey(key);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new VaultDecryptError(`Sealed value for ${aad} is truncated`);
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES);
  const ct = sealed.subarray(NONCE_BYTES + TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw new VaultDecryptError(`Sealed value for ${aad} failed authentication (wrong key, tampered, or moved)`);
  }
}

/** Short, non-secret identifier of a key (first 12 hex digits of a domain-separated SHA-256). */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("team-mesh vault key id\0").update(key).digest("hex").slice(0, 12);
}

export function credentialAad(teammateId: number, kind: string): string {
  return `teammate:${teammateId}:${kind}`;
}

export function settingAad(name: string): string {
  return `setting:${name}`;
}
