// The FTS5 index over audit_entries (message and reply) and the text a search sends it.
import { integer, sqliteTable } from "../db/drizzle.ts";

/**
 * `audit_fts`, the FTS5 table migration 0001 creates (external content: audit_entries, rowid = id)
 * and the audit triggers keep. Declared here, not in db/schema.ts, only so the query builder can
 * join it: drizzle-kit would make a plain table of it. Only its rowid is read; the match itself
 * stays SQL (`${auditFts} match ?`), FTS5 has no counterpart in the query builder.
 */
export const auditFts = sqliteTable("audit_fts", { rowid: integer("rowid").notNull() });

// Turns user input into a safe FTS5 query: every term becomes a quoted string (quotes doubled),
// terms are ANDed; a trailing * on a term keeps prefix search. Operators, column filters and
// parentheses in the input are searched for literally instead of being interpreted.
export function toFtsQuery(input: string): string | null {
  const terms: string[] = [];
  // Control characters (NUL above all: FTS5 reads it as the end of the query, "unterminated
  // string") are never part of a word anyway: they separate terms like spaces.
  // eslint-disable-next-line no-control-regex
  for (const raw of input.replace(/[\u0000-\u001f\u007f]/g, " ").split(/\s+/)) {
    if (!raw) continue;
    const prefix = raw.length > 1 && raw.endsWith("*");
    const word = (prefix ? raw.slice(0, -1) : raw).replace(/"/g, '""');
    // a term made only of punctuation would tokenise to nothing and match nothing
    if (!/[\p{L}\p{N}]/u.test(word)) continue;
    terms.push(`"${word}"${prefix ? "*" : ""}`);
  }
  return terms.length ? terms.join(" ") : null;
}
