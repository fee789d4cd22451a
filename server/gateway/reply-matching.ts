// Finds the reply that belongs to one run in a chat.history page. Never "the newest assistant
// message": a reply counts only when its row carries `__openclaw.runId` equal to our run id
// (or, on a release that stamps no run ids at all, when it answers our own user row: see below).
// The user row of our send carries `idempotencyKey: "<key>:user"`; rows after it are scanned.

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Text of a transcript/chat message: a string content or the text parts of a content array. */
export function messageText(message: unknown): string | undefined {
  const m = rec(message);
  if (!m) return undefined;
  const content = m.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const parts = content
      .map((p) => rec(p))
      .filter((p): p is Record<string, unknown> => p !== null && (p.type === "text" || p.type === undefined) && typeof p.text === "string")
      .map((p) => p.text as string);
    return parts.length ? parts.join("") : undefined;
  }
  if (typeof m.text === "string") return m.text;
  return undefined;
}

function rowRunId(row: Record<string, unknown>): string | undefined {
  const meta = rec(row.__openclaw);
  const id = meta?.runId ?? row.runId;
  return typeof id === "string" ? id : undefined;
}

function rowIdempotencyKey(row: Record<string, unknown>): string | undefined {
  const k = row.idempotencyKey ?? rec(row.__openclaw)?.idempotencyKey;
  return typeof k === "string" ? k : undefined;
}

export type HistoryMatch =
  | { kind: "reply"; text: string }
  /** Our message is in the transcript but no assistant row of our run (yet, or ever). */
  | { kind: "delivered" }
  /** Neither our message nor a reply of our run is in this page. */
  | { kind: "not_found" };

/**
 * @param messages chat.history `messages`, oldest first
 * @param idempotencyKey the key our chat.send used (null when unknown, e.g. fetchLateReply)
 * @param runId the run id chat.send answered (usually equal to the key)
 */
export function findRunReply(messages: readonly unknown[], idempotencyKey: string | null, runId: string): HistoryMatch {
  const rows = messages.map(rec);
  const userKey = idempotencyKey ? `${idempotencyKey}:user` : null;
  let start = 0;
  let userFound = false;
  if (userKey) {
    const idx = rows.findIndex((r) => r !== null && r.role === "user" && rowIdempotencyKey(r) === userKey);
    if (idx >= 0) {
      start = idx + 1;
      userFound = true;
    }
  }
  let text: string | undefined;
  for (let i = start; i < rows.length; i++) {
    const r = rows[i];
    if (!r || r.role !== "assistant" || rowRunId(r) !== runId) continue;
    const t = messageText(r);
    if (t !== undefined && t.trim() !== "") text = t; // the last text row of the run is its reply
  }
  if (text !== undefined) return { kind: "reply", text };
  if (userFound && !rows.some((r) => r !== null && rowRunId(r) !== undefined)) {
    const turn = unstampedTurnReply(rows, start);
    if (turn !== undefined) return { kind: "reply", text: turn };
  }
  return userFound ? { kind: "delivered" } : { kind: "not_found" };
}

/**
 * OpenClaw before 2026.8 (2026.6.35, 2026.7.35) stamps no run id on any transcript row; only our user row is
 * ours by its idempotency key. Our run's reply is then the turn that row opens: the assistant rows
 * after it, up to the next user row. Not when the user row before ours is still unanswered: our
 * message may then have been steered into that run, whose answer is not ours ("delivered").
 */
function unstampedTurnReply(rows: readonly (Record<string, unknown> | null)[], start: number): string | undefined {
  for (let i = start - 2; i >= 0; i--) {
    const r = rows[i];
    if (r?.role === "assistant") break;
    if (r?.role === "user") return undefined;
  }
  let text: string | undefined;
  for (let i = start; i < rows.length; i++) {
    const r = rows[i];
    if (r?.role === "user") break;
    if (r?.role !== "assistant") continue;
    const t = messageText(r);
    if (t !== undefined && t.trim() !== "") text = t;
  }
  return text;
}
