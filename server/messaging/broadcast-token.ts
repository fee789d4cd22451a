// Confirmation tokens, derived, never stored: HMAC(server secret, id | text SHA-256 | sorted
// recipients | expiry). The row keeps only the token's SHA-256, which also seals what was bound:
// a row edited in the database no longer matches it and is refused, never sent.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "../auth/types.ts";
import { ApiError } from "../errors.ts";
import type { BroadcastRow } from "./broadcast-rows.ts";
import type { MessagingDeps } from "./deps.ts";
import { sha256Hex } from "./sha256.ts";

const KEY_SETTING = "broadcast_key";

export type ConfirmationTokens = ReturnType<typeof createConfirmationTokens>;

export function createConfirmationTokens(deps: Pick<MessagingDeps, "vault" | "audit" | "logger">) {
  function key(): Buffer {
    let k = deps.vault.openSetting(KEY_SETTING);
    if (!k) {
      k = randomBytes(32);
      deps.vault.sealSetting(KEY_SETTING, k);
    }
    return k;
  }
  const tokenFor = (row: Pick<BroadcastRow, "id" | "sha256" | "expiresAt">, handles: string[]): string =>
    createHmac("sha256", key())
      .update(`${row.id}|${row.sha256}|${[...handles].sort().join(",")}|${row.expiresAt}`)
      .digest("base64url");
  const hashToken = (token: string) => sha256Hex(token);

  return {
    tokenFor,
    hashToken,

    /** Does `token` confirm this row with these recipients (constant-time compare, and the stored hash)? */
    matches(row: BroadcastRow, handles: string[], token: string): boolean {
      const expected = Buffer.from(tokenFor(row, handles));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected) && hashToken(token) === row.confirmTokenHash;
    },

    /**
     * The row that is about to be sent must still be the one confirmed: the text must hash to the
     * stored sha256, and the stored token hash (an HMAC under the vault-sealed key over id, sha256,
     * recipients, expiry) must still match, so a row edited in the database (text, or text and hash)
     * is refused instead of sent. Checked synchronously right before the fan-out reads the row.
     */
    assertIntact(row: BroadcastRow, handles: string[], action: "confirm" | "retry", principal: Principal): void {
      const textOk = sha256Hex(row.message) === row.sha256;
      const bindingOk = hashToken(tokenFor(row, handles)) === row.confirmTokenHash;
      if (textOk && bindingOk) return;
      const mismatch = textOk ? "binding" : "text";
      const message =
        mismatch === "text"
          ? "The broadcast's stored text no longer matches the hash it was created (and confirmed) with; nothing was sent. Create the broadcast again."
          : "The broadcast's stored hash, recipients or expiry no longer match its confirmation binding; nothing was sent. Create the broadcast again.";
      deps.audit.append({
        actor: principal.label,
        kind: "broadcast",
        outcome: "failed",
        session: row.session,
        broadcastId: row.id,
        messageId: null,
        errorCode: "BROADCAST_TAMPERED",
        errorMessage: message,
        details: { action, mismatch, storedSha256: row.sha256, actualSha256: sha256Hex(row.message) },
      });
      deps.logger.warn({ broadcastId: row.id, action, mismatch }, "broadcast refused: stored row does not match what was confirmed");
      throw new ApiError("BROADCAST_TAMPERED", message, { mismatch });
    },
  };
}
