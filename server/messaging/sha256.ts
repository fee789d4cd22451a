import { createHash } from "node:crypto";

/** Hex SHA-256 of a text (UTF-8): message hashes, and stored hashes of confirmation tokens. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
