// Ed25519 device identity (one key pair per teammate's gateway) and the signing callbacks that
// GatewayClient's hostDeps expect. deviceId = sha256(raw 32-byte public key), lowercase hex, which
// is how the gateway derives it from the public key it receives.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import type { DeviceIdentity } from "./types.ts";

// DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key is the 32 bytes after it.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function publicKeyRawFromPem(publicKeyPem: string): Buffer {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  if (der.length !== ED25519_SPKI_PREFIX.length + 32 || !der.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)) {
    throw new Error("device public key is not an Ed25519 key");
  }
  return der.subarray(ED25519_SPKI_PREFIX.length);
}

/** Raw public key, base64url without padding (the `device.publicKey` connect field). */
export function publicKeyRawBase64UrlFromPem(publicKeyPem: string): string {
  return publicKeyRawFromPem(publicKeyPem).toString("base64url");
}

export function deviceIdFromPublicKeyPem(publicKeyPem: string): string {
  return createHash("sha256").update(publicKeyRawFromPem(publicKeyPem)).digest("hex");
}

export function generateDeviceIdentity(): DeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { deviceId: deviceIdFromPublicKeyPem(publicKeyPem), publicKeyPem, privateKeyPem };
}

/** Signs the UTF-8 payload; returns the signature as base64url. */
export function signDevicePayload(privateKeyPem: string, payload: string): string {
  return sign(null, Buffer.from(payload, "utf8"), createPrivateKey(privateKeyPem)).toString("base64url");
}

/** Verifies a base64url signature against a raw base64url public key (what a gateway does). */
export function verifyDevicePayload(publicKeyRawBase64Url: string, payload: string, signatureBase64Url: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(publicKeyRawBase64Url, "base64url")]), format: "der", type: "spki" });
    return verify(null, Buffer.from(payload, "utf8"), key, Buffer.from(signatureBase64Url, "base64url"));
  } catch {
    return false;
  }
}

/** A stored identity is usable when its key pair matches and its deviceId is derived from it. */
export function isValidDeviceIdentity(identity: DeviceIdentity): boolean {
  try {
    if (deviceIdFromPublicKeyPem(identity.publicKeyPem) !== identity.deviceId) return false;
    const probe = "team-mesh-identity-check";
    return verifyDevicePayload(publicKeyRawBase64UrlFromPem(identity.publicKeyPem), probe, signDevicePayload(identity.privateKeyPem, probe));
  } catch {
    return false;
  }
}
