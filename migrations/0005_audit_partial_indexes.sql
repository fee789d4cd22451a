DROP INDEX `audit_teammate`;--> statement-breakpoint
DROP INDEX `audit_broadcast`;--> statement-breakpoint
DROP INDEX `audit_message`;--> statement-breakpoint
CREATE INDEX `audit_teammate` ON `audit_entries` (`teammate`,`id`) WHERE "audit_entries"."teammate" is not null;--> statement-breakpoint
CREATE INDEX `audit_broadcast` ON `audit_entries` (`broadcast_id`) WHERE "audit_entries"."broadcast_id" is not null;--> statement-breakpoint
CREATE INDEX `audit_message` ON `audit_entries` (`message_id`) WHERE "audit_entries"."message_id" is not null;