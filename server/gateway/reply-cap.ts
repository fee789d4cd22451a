// Bounds a gateway's reply before it is kept: the first maxBytes of UTF-8, cut on a character
// boundary, and the full size so callers can record that (and how much) was left out.
import type { SendResult } from "./types.ts";

export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean; fullBytes: number } {
  const fullBytes = Buffer.byteLength(text, "utf8");
  if (fullBytes <= maxBytes) return { text, truncated: false, fullBytes };
  const buf = Buffer.from(text, "utf8");
  let end = Math.max(0, maxBytes);
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--; // back off a continuation byte
  return { text: buf.subarray(0, end).toString("utf8"), truncated: true, fullBytes };
}

/** The result with its reply capped; `replyFullBytes` is set only when something was cut. */
export function capReply(r: SendResult, maxBytes: number | undefined): SendResult {
  if (maxBytes === undefined || r.reply === undefined) return r;
  const c = capUtf8(r.reply, maxBytes);
  return c.truncated ? { ...r, reply: c.text, replyFullBytes: c.fullBytes } : r;
}
