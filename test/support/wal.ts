// Counts the transactions committed into a SQLite WAL file since it was last reset: frames of
// the current salt whose "database size after commit" field is set (one per commit). Tests
// that count commits turn auto-checkpoints off first (`pragma wal_autocheckpoint = 0`), or a
// checkpoint may restart the log under them.
import { existsSync, readFileSync } from "node:fs";

export function walCommits(dbFile: string): number {
  const wal = `${dbFile}-wal`;
  if (!existsSync(wal)) return 0;
  const buf = readFileSync(wal);
  if (buf.length < 32) return 0;
  const pageSize = buf.readUInt32BE(8);
  const salt1 = buf.readUInt32BE(16);
  const salt2 = buf.readUInt32BE(20);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= buf.length; at += 24 + pageSize) {
    if (buf.readUInt32BE(at + 8) !== salt1 || buf.readUInt32BE(at + 12) !== salt2) break; // left from before a reset
    if (buf.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}
