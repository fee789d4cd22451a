-- Full-text index an entry once, when it is final (with its reply), instead of at insert and
-- again (delete + insert) at completion: a send costs one FTS write instead of three.
-- A send in flight is found by search once it completes.
DROP TRIGGER `audit_fts_ai`;
--> statement-breakpoint
DROP TRIGGER `audit_fts_au`;
--> statement-breakpoint
-- entries still pending were indexed at insert by the old trigger: take them out, so that their
-- completion indexes them exactly once
INSERT INTO audit_fts(audit_fts, rowid, message, reply) SELECT 'delete', id, message, reply FROM audit_entries WHERE outcome = 'pending';
--> statement-breakpoint
CREATE TRIGGER `audit_fts_ai` AFTER INSERT ON `audit_entries` WHEN new.outcome <> 'pending' BEGIN
  INSERT INTO audit_fts(rowid, message, reply) VALUES (new.id, new.message, new.reply);
END;
--> statement-breakpoint
-- the only update the guards allow completes a pending entry
CREATE TRIGGER `audit_fts_au` AFTER UPDATE ON `audit_entries` WHEN old.outcome = 'pending' AND new.outcome <> 'pending' BEGIN
  INSERT INTO audit_fts(rowid, message, reply) VALUES (new.id, new.message, new.reply);
END;
