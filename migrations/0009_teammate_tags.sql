-- Teammate tags (groups such as "backend"): a JSON array of validated names, '[]' for none.
ALTER TABLE `teammates` ADD `tags` text DEFAULT '[]' NOT NULL;
--> statement-breakpoint
-- A broadcast to a group remembers which tags chose its recipients (null: everyone).
ALTER TABLE `broadcasts` ADD `group_tags` text;
