// GET /messages with filters: one teammate's (and session's) messages, keyset-paged newest
// first by (created_at, id), optionally those whose sent or replied text contains a phrase.
// Keyset, not offset: a page stays right while new messages arrive at the top.
import type { Db } from "../db/connection.ts";
import { and, desc, eq, lt, or, sql, type SQL } from "../db/drizzle.ts";
import { messages } from "../db/schema.ts";
import { ApiError } from "../errors.ts";
import type { MessageRow } from "./message-row.ts";

export interface MessageFilter {
  limit: number;
  handle?: string;
  session?: string;
  /** Text to find (case-insensitive) in any round's message or reply. */
  q?: string;
  /** Opaque cursor from a previous page's nextCursor: only messages older than that one. */
  before?: string;
}

interface Cursor {
  at: number;
  id: string;
}

export function encodeCursor(row: Pick<MessageRow, "createdAt" | "id">): string {
  return Buffer.from(`${row.createdAt}:${row.id}`, "utf8").toString("base64url");
}

export function decodeCursor(raw: string): Cursor {
  const text = Buffer.from(raw, "base64url").toString("utf8");
  const sep = text.indexOf(":");
  const at = Number(text.slice(0, sep));
  const id = text.slice(sep + 1);
  if (sep <= 0 || !Number.isSafeInteger(at) || at < 0 || id.length === 0 || id.length > 100) {
    throw new ApiError("BAD_REQUEST", "before: not a cursor this server gave out (use nextCursor from the previous page)");
  }
  return { at, id };
}

// LIKE with the user's % and _ taken literally.
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

export function filteredMessagesQuery(db: Db, f: MessageFilter) {
  const where: SQL[] = [];
  if (f.handle) where.push(eq(messages.handle, f.handle.toLowerCase()));
  if (f.session) where.push(eq(messages.session, f.session));
  if (f.before) {
    const c = decodeCursor(f.before);
    where.push(or(lt(messages.createdAt, c.at), and(eq(messages.createdAt, c.at), lt(messages.id, c.id)))!);
  }
  if (f.q) {
    // Searched in the decoded texts (json_each), not in the JSON, so quotes and non-ASCII match as typed.
    const pattern = `%${escapeLike(f.q.toLowerCase())}%`;
    where.push(sql`exists (select 1 from json_each(${messages.exchanges}) e
      where lower(e.value ->> 'message') like ${pattern} escape '\\' or lower(e.value ->> 'reply') like ${pattern} escape '\\')`);
  }
  return db
    .select()
    .from(messages)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(f.limit + 1);
}

/** One page, newest first, and the cursor for the next (older) page when there is one. */
export function filteredMessages(db: Db, f: MessageFilter): { rows: MessageRow[]; nextCursor: string | null } {
  const rows = filteredMessagesQuery(db, f).all();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { rows: page, nextCursor: more ? encodeCursor(page[page.length - 1]!) : null };
}
