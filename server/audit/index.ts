export { toEntry } from "./rows.ts";
export { createAuditLog, loadAuditKey, parseAuditQuery, encodeCursor, decodeCursor, AuditError, AUDIT_KEY_SETTING, AUDIT_HEAD_SETTING, type AuditLogOptions } from "./log.ts";
export { GENESIS_HASH, canonicalJson, entryHash, completionHash } from "./chain.ts";
export { toFtsQuery } from "./fts.ts";
export { csvCell, csvRow } from "./csv.ts";
export { auditRoutes, streamOf } from "./routes.ts";
export type { AuditLog, AuditInput, AuditCompletion } from "./types.ts";
