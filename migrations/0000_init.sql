CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE TABLE `audit_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`kind` text NOT NULL,
	`teammate` text,
	`gateway_url` text,
	`session` text,
	`message` text,
	`message_bytes` integer,
	`message_sha256` text,
	`broadcast_id` text,
	`message_id` text,
	`details` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	`outcome` text NOT NULL,
	`run_id` text,
	`reply` text,
	`error_code` text,
	`error_message` text,
	`latency_ms` integer,
	`completed_at` integer,
	`completion_hash` text
);
--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit_entries` (`at`);--> statement-breakpoint
CREATE INDEX `audit_teammate` ON `audit_entries` (`teammate`,`id`);--> statement-breakpoint
CREATE INDEX `audit_kind` ON `audit_entries` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `audit_outcome` ON `audit_entries` (`outcome`,`id`);--> statement-breakpoint
CREATE INDEX `audit_broadcast` ON `audit_entries` (`broadcast_id`);--> statement-breakpoint
CREATE INDEX `audit_message` ON `audit_entries` (`message_id`);--> statement-breakpoint
CREATE TABLE `broadcast_recipients` (
	`broadcast_id` text NOT NULL,
	`teammate_id` integer,
	`handle` text NOT NULL,
	`name` text NOT NULL,
	`display_name` text,
	`gateway_url` text,
	`skip_reason` text,
	`status` text NOT NULL,
	`reply` text,
	`run_id` text,
	`latency_ms` integer,
	`error_code` text,
	`error_message` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`audit_id` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`broadcast_id`, `handle`),
	FOREIGN KEY (`broadcast_id`) REFERENCES `broadcasts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`teammate_id`) REFERENCES `teammates`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `broadcasts` (
	`id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`message` text NOT NULL,
	`message_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`session` text NOT NULL,
	`timeout_sec` integer NOT NULL,
	`fallback` integer NOT NULL,
	`warnings` text NOT NULL,
	`confirm_token_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`confirmed_by` text,
	`confirmed_at` integer,
	`completed_at` integer
);
--> statement-breakpoint
CREATE TABLE `credentials` (
	`teammate_id` integer NOT NULL,
	`kind` text NOT NULL,
	`sealed` blob NOT NULL,
	`key_id` text NOT NULL,
	`set_at` integer NOT NULL,
	`last_used_at` integer,
	PRIMARY KEY(`teammate_id`, `kind`),
	FOREIGN KEY (`teammate_id`) REFERENCES `teammates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`actor` text NOT NULL,
	`key` text NOT NULL,
	`route` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer,
	`body` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`actor`, `key`)
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`teammate_id` integer,
	`handle` text NOT NULL,
	`gateway_url` text,
	`session` text NOT NULL,
	`rounds` integer NOT NULL,
	`timeout_sec` integer NOT NULL,
	`status` text NOT NULL,
	`exchanges` text NOT NULL,
	`warnings` text NOT NULL,
	`fallback` text,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`teammate_id`) REFERENCES `teammates`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `messages_created` ON `messages` (`created_at`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `status_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`teammate_id` integer NOT NULL,
	`at` integer NOT NULL,
	`state` text NOT NULL,
	`latency_ms` integer,
	`error_code` text,
	FOREIGN KEY (`teammate_id`) REFERENCES `teammates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `status_history_teammate_at` ON `status_history` (`teammate_id`,`at`);--> statement-breakpoint
CREATE TABLE `teammate_status` (
	`teammate_id` integer PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`checked_at` integer,
	`last_seen_at` integer,
	`latency_ms` integer,
	`version` text,
	`scopes` text,
	`error_code` text,
	`error_message` text,
	`pairing_request_id` text,
	FOREIGN KEY (`teammate_id`) REFERENCES `teammates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `teammates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`handle` text NOT NULL,
	`name` text NOT NULL,
	`display_name` text,
	`note` text,
	`gateway_url` text,
	`hostname` text,
	`tls_fingerprint` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teammates_handle_uq` ON `teammates` (`handle`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_uq` ON `users` (`username`);