-- Full-text search over audit message and reply (external-content FTS5 kept in step by triggers).
CREATE VIRTUAL TABLE `audit_fts` USING fts5(message, reply, content='audit_entries', content_rowid='id', tokenize='unicode61');
--> statement-breakpoint
CREATE TRIGGER `audit_fts_ai` AFTER INSERT ON `audit_entries` BEGIN
  INSERT INTO audit_fts(rowid, message, reply) VALUES (new.id, new.message, new.reply);
END;
--> statement-breakpoint
CREATE TRIGGER `audit_fts_au` AFTER UPDATE ON `audit_entries` BEGIN
  INSERT INTO audit_fts(audit_fts, rowid, message, reply) VALUES ('delete', old.id, old.message, old.reply);
  INSERT INTO audit_fts(rowid, message, reply) VALUES (new.id, new.message, new.reply);
END;
--> statement-breakpoint
-- Append-only: no deletes, and the only update allowed completes a pending entry once,
-- leaving every chained field as it was.
CREATE TRIGGER `audit_no_delete` BEFORE DELETE ON `audit_entries` BEGIN
  SELECT RAISE(ABORT, 'audit entries are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_complete_once` BEFORE UPDATE ON `audit_entries`
WHEN old.outcome <> 'pending'
  OR new.id IS NOT old.id OR new.at IS NOT old.at OR new.actor IS NOT old.actor OR new.kind IS NOT old.kind
  OR new.teammate IS NOT old.teammate OR new.gateway_url IS NOT old.gateway_url OR new.session IS NOT old.session
  OR new.message IS NOT old.message OR new.message_bytes IS NOT old.message_bytes
  OR new.message_sha256 IS NOT old.message_sha256 OR new.broadcast_id IS NOT old.broadcast_id
  OR new.message_id IS NOT old.message_id OR new.details IS NOT old.details
  OR new.prev_hash IS NOT old.prev_hash OR new.hash IS NOT old.hash
BEGIN
  SELECT RAISE(ABORT, 'audit entries are append-only: only a pending entry may be completed, once');
END;
