ALTER TABLE `teammates` ADD `agent_id` text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE `teammates` ADD `agent_emoji` text;--> statement-breakpoint
ALTER TABLE `teammates` ADD `credentials_from` integer REFERENCES teammates(id) ON DELETE SET NULL;
