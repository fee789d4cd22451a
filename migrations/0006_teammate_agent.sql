ALTER TABLE `teammates` ADD `agent_id` text DEFAULT 'main' NOT NULL;--> statement-breakpoint
ALTER TABLE `teammates` ADD `agent_emoji` text;
