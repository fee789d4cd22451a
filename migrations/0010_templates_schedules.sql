-- Message templates with {{variables}} (server/templates/).
CREATE TABLE `message_templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`body` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_templates_name_uq` ON `message_templates` (`name`);
--> statement-breakpoint
-- Scheduled broadcasts (server/schedules/): one-off (run_at) or recurring (cron). An admin's
-- pre-approval holds for exactly approved_sha256 + approved_recipients.
CREATE TABLE `broadcast_schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`message` text NOT NULL,
	`session` text NOT NULL,
	`timeout_sec` integer NOT NULL,
	`group_tags` text,
	`cron` text,
	`run_at` integer,
	`timezone` text NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`next_run_at` integer,
	`approved_sha256` text,
	`approved_recipients` text,
	`approved_by` text,
	`approved_at` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `broadcast_schedules_due` ON `broadcast_schedules` (`next_run_at`) WHERE `enabled` = 1;
--> statement-breakpoint
-- One row per fired run: the primary key is the claim, so two servers on one file never fire a run twice.
CREATE TABLE `schedule_runs` (
	`schedule_id` integer NOT NULL REFERENCES `broadcast_schedules`(`id`) ON DELETE CASCADE,
	`fire_time` integer NOT NULL,
	`claimed_at` integer NOT NULL,
	`broadcast_id` text,
	`outcome` text NOT NULL,
	`error` text,
	PRIMARY KEY(`schedule_id`, `fire_time`)
);
