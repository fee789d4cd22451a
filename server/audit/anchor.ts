// External anchors: the head (count + hash of the newest entry) signed with an Ed25519 key
// sealed in the vault. An auditor stores an anchor outside the server; handing it back to
// verify later proves the trail still holds that entry unchanged, which catches what nothing
// inside the database file can: the whole file rolled back to an older copy, or entries cut
// off together with a replayed older head. The signature can be checked offline with the
// anchor's public key; whether the public key is this server's, only the server can say.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import type { AuditAnchor } from "../../shared/api/audit.ts";
import type { Vault } from "../vault/types.ts";
import { canonicalJson } from "./chain.ts";

export const AUDIT_SIGNING_KEY_SETTING = "audit_signing_key";

export interface AnchorSigner {
  publicKey: string;
  sign(count: number, hash: string, at: Date): AuditAnchor;
  /** Null when the anchor was signed by this server, else why not. */
  check(anchor: AuditAnchor): string | null;
}

function signedText(a: { at: string; count: number; hash: string }): Buffer {
  return Buffer.from(`team-mesh-audit-anchor/v1\n${canonicalJson({ at: a.at, count: a.count, hash: a.hash })}`, "utf8");
}

/** Loads the signing key (sealed in settings), creating it on first use. */
export function loadAnchorSigner(vault: Pick<Vault, "sealSetting" | "openSetting">): AnchorSigner {
  let privateKey: KeyObject;
  const stored = vault.openSetting(AUDIT_SIGNING_KEY_SETTING);
  if (stored) {
    privateKey = createPrivateKey({ key: stored, format: "der", type: "pkcs8" });
  } else {
    privateKey = generateKeyPairSync("ed25519").privateKey;
    vault.sealSetting(AUDIT_SIGNING_KEY_SETTING, privateKey.export({ format: "der", type: "pkcs8" }));
  }
  const publicKeyObject = createPublicKey(privateKey);
  const publicKey = publicKeyObject.export({ format: "der", type: "spki" }).toString("base64");
  return {
    publicKey,
    sign(count, hash, at) {
      const body = { at: at.toISOString(), count, hash };
      return { ...body, algorithm: "Ed25519", publicKey, signature: sign(null, signedText(body), privateKey).toString("base64") };
    },
    check(anchor) {
      if (anchor.publicKey !== publicKey) return "The anchor was signed with another key than this server's: it is not from this trail";
      let ok: boolean;
      try {
        ok = verify(null, signedText(anchor), publicKeyObject, Buffer.from(anchor.signature, "base64"));
      } catch {
        ok = false;
      }
      return ok ? null : "The anchor's signature does not match its count, hash and time: it was altered";
    },
  };
}
