// The trail's head record (settings `audit_head`): the newest entry's id and hash, how many
// entries are still pending, and the first tampering noticed, all MAC'd with the audit key.
// It is rewritten in the same transaction as every append and completion, so without the key
// nobody can cut entries off the end, empty the trail or turn a completed entry back into
// pending and leave a head that still agrees. Once an anomaly is recorded it stays in every
// later head: verify keeps reporting it (a tamper-evident trail cannot be "repaired" quietly).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/connection.ts";
import { messages, teammates, users } from "../db/schema.ts";
import { GENESIS_HASH, canonicalJson, type AuditKey } from "./chain.ts";

export interface Head {
  /** Id of the newest entry (ids run 1..id with no gaps), 0 for an empty trail. */
  id: number;
  hash: string;
  /** Entries appended pending and not completed yet. */
  pending: number;
  /** The first tampering noticed while writing, kept for good; null while none was. */
  anomaly: string | null;
}

/**
 * Does the database hold anything a used install has (then a trail without a head was emptied)?
 * Asked only when a head is missing or in the old format, so built per call.
 */
export function dataPresent(db: Db): boolean {
  return (
    db.select({ id: users.id }).from(users).limit(1).get() !== undefined ||
    db.select({ id: teammates.id }).from(teammates).limit(1).get() !== undefined ||
    db.select({ id: messages.id }).from(messages).limit(1).get() !== undefined
  );
}

export const EMPTY_HEAD: Head = { id: 0, hash: GENESIS_HASH, pending: 0, anomaly: null };

export type HeadRead =
  | { state: "ok"; head: Head }
  | { state: "missing" }
  /** Written by a version before the head carried a MAC: {id, hash} only. */
  | { state: "legacy"; id: number; hash: string }
  | { state: "forged" };

function mac(key: AuditKey, h: Head): string {
  return createHmac("sha256", key)
    .update(`audit-head/v2\n${canonicalJson({ id: h.id, hash: h.hash, pending: h.pending, anomaly: h.anomaly })}`, "utf8")
    .digest("hex");
}

export function serializeHead(key: AuditKey, h: Head): string {
  return JSON.stringify({ v: 2, id: h.id, hash: h.hash, pending: h.pending, anomaly: h.anomaly, mac: mac(key, h) });
}

export function parseHead(key: AuditKey, value: string | undefined): HeadRead {
  if (value === undefined) return { state: "missing" };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return { state: "forged" };
  }
  if (raw === null || typeof raw !== "object") return { state: "forged" };
  const o = raw as Record<string, unknown>;
  if (o.v === undefined && Number.isSafeInteger(o.id) && typeof o.hash === "string" && Object.keys(o).length === 2) {
    return { state: "legacy", id: o.id as number, hash: o.hash };
  }
  if (o.v !== 2 || !Number.isSafeInteger(o.id) || typeof o.hash !== "string" || !Number.isSafeInteger(o.pending)) return { state: "forged" };
  if (o.anomaly !== null && typeof o.anomaly !== "string") return { state: "forged" };
  if (typeof o.mac !== "string") return { state: "forged" };
  const head: Head = { id: o.id as number, hash: o.hash, pending: o.pending as number, anomaly: o.anomaly as string | null };
  const want = Buffer.from(mac(key, head), "hex");
  const got = Buffer.from(o.mac, "hex");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { state: "forged" };
  return { state: "ok", head };
}

/** Where the entries table ends, as the head should record it. */
export interface TableEnd {
  id: number;
  hash: string;
}

/** Why a head that carries a valid MAC disagrees with the end of the table, or null. */
export function endMismatch(head: Head, end: TableEnd): string | null {
  if (head.id === end.id && head.hash === end.hash) return null;
  if (end.id < head.id) {
    return end.id === 0
      ? `The trail is empty but its head records ${head.id} entries: every entry was removed`
      : `The trail ends at entry ${end.id} but the newest entry written was ${head.id}: entries were removed from the end`;
  }
  if (end.id > head.id) return `Entries ${head.id + 1}..${end.id} were added without the audit key (the head records ${head.id})`;
  return `Entry ${end.id} is not the entry the head records: it was replaced`;
}

/**
 * The head to build on for the next write, given what is stored and where the table ends.
 * Anything but a valid head that matches the table yields a head that matches the table and
 * carries the anomaly, so the next write cannot hide what was found.
 */
export function checkedHead(read: HeadRead, end: TableEnd, pendingInTable: () => number, hasOtherData: () => boolean): Head {
  switch (read.state) {
    case "ok": {
      const mismatch = endMismatch(read.head, end);
      return mismatch ? { ...end, pending: read.head.pending, anomaly: read.head.anomaly ?? mismatch } : read.head;
    }
    case "legacy": {
      // Upgrade from a head without a MAC: trusted on first use when it matches the table.
      const mismatch = endMismatch({ id: read.id, hash: read.hash, pending: 0, anomaly: null }, end);
      return { ...end, pending: pendingInTable(), anomaly: mismatch };
    }
    case "missing":
      // A fresh trail has no head until its first write; one with entries, or in a database
      // that already holds users or teammates, always had one.
      if (end.id === 0 && !hasOtherData()) return { ...EMPTY_HEAD };
      return {
        ...end,
        pending: pendingInTable(),
        anomaly:
          end.id === 0
            ? "The trail's head record was missing and the trail empty while the database held data: the trail was emptied"
            : `The trail's head record was missing (the trail holds ${end.id} entries): it was removed`,
      };
    case "forged":
      return { ...end, pending: pendingInTable(), anomaly: "The trail's head record was altered (its MAC does not match)" };
  }
}
