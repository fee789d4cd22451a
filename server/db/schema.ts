// The whole database, one table per concept. Times are Unix milliseconds (integer).
// Secrets live only in `credentials` (ciphertext) and as one-way hashes (passwords, API keys,
// session and confirmation tokens). Audit rows are append-only: triggers in the migrations
// forbid deletes and allow one update only, from outcome 'pending' to a final outcome.
import type { Actor, Role, Warning } from "../../shared/api/common.ts";
import type { DeliveryStatus, Exchange, Message } from "../../shared/api/messages.ts";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { blob, index, integer, primaryKey, sql, sqliteTable, text, uniqueIndex } from "./drizzle.ts";

export const teammates = sqliteTable(
  "teammates",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    handle: text("handle").notNull(), // lower-case; the old skill's emailPrefix
    name: text("name").notNull(),
    displayName: text("display_name"),
    note: text("note"),
    gatewayUrl: text("gateway_url"), // null: no address
    hostname: text("hostname"),
    tlsFingerprint: text("tls_fingerprint"),
    agentId: text("agent_id").notNull().default("main"), // the OpenClaw agent on that gateway (0006)
    agentEmoji: text("agent_emoji"),
    // another entry of the same gateway whose credentials and pooled connection this one uses
    // (set for agents added from it; cleared when this entry gets its own token or address)
    credentialsFrom: integer("credentials_from").references((): AnySQLiteColumn => teammates.id, { onDelete: "set null" }),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Group names (validated, distinct, sorted) as a JSON array; migration 0009. */
    tags: text("tags", { mode: "json" }).notNull().$type<string[]>().default([]),
  },
  (t) => [uniqueIndex("teammates_handle_uq").on(t.handle)],
);

/** Last known presence of each teammate (one row each), updated by every probe. */
export const teammateStatus = sqliteTable("teammate_status", {
  teammateId: integer("teammate_id")
    .primaryKey()
    .references(() => teammates.id, { onDelete: "cascade" }),
  state: text("state").notNull(),
  checkedAt: integer("checked_at"),
  lastSeenAt: integer("last_seen_at"),
  latencyMs: integer("latency_ms"),
  version: text("version"),
  /** Protocol version from hello-ok (0007). */
  protocol: integer("protocol"),
  scopes: text("scopes", { mode: "json" }).$type<string[]>(),
  errorCode: text("error_code"),
  errorMessage: text("error_message"),
  pairingRequestId: text("pairing_request_id"),
});

/** Probe history per teammate (bounded by the service). */
export const statusHistory = sqliteTable(
  "status_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    teammateId: integer("teammate_id")
      .notNull()
      .references(() => teammates.id, { onDelete: "cascade" }),
    at: integer("at").notNull(),
    state: text("state").notNull(),
    latencyMs: integer("latency_ms"),
    errorCode: text("error_code"),
  },
  (t) => [index("status_history_teammate_at").on(t.teammateId, t.at)],
);

/**
 * The token vault. kind: 'gateway_token' | 'device_identity' (JSON of the Ed25519 pair)
 * | 'device_token' (JSON {token, scopes}). `sealed` is nonce|tag|ciphertext (AES-256-GCM),
 * with "teammate:<id>:<kind>" as associated data so a value cannot be moved to another row.
 */
export const credentials = sqliteTable(
  "credentials",
  {
    teammateId: integer("teammate_id")
      .notNull()
      .references(() => teammates.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    sealed: blob("sealed", { mode: "buffer" }).notNull(),
    keyId: text("key_id").notNull(),
    setAt: integer("set_at").notNull(),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [primaryKey({ columns: [t.teammateId, t.kind] })],
);

/** Small key/value settings: my_handle, audit chain key (sealed), vault key check, ... */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(), // scrypt, PHC-like string
    role: text("role").notNull().$type<Role>(), // only Role values: the API validates them before they are written
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    /** Set for an admin-handed password (one-time password at create/reset); cleared when the user picks their own. */
    mustChangePassword: integer("must_change_password", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [uniqueIndex("users_username_uq").on(t.username)],
);

export const sessions = sqliteTable("sessions", {
  idHash: text("id_hash").primaryKey(), // sha256 of the cookie value
  userId: integer("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
});

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  role: text("role").notNull().$type<Role>(),
  prefix: text("prefix").notNull(),
  keyHash: text("key_hash").notNull(), // sha256 of the whole key
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at"),
  expiresAt: integer("expires_at"),
  revokedAt: integer("revoked_at"),
});

/** One row per send request (1..10 rounds); each round is also an audit entry. */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    teammateId: integer("teammate_id").references(() => teammates.id, { onDelete: "set null" }),
    handle: text("handle").notNull(),
    gatewayUrl: text("gateway_url"),
    session: text("session").notNull(),
    rounds: integer("rounds").notNull(),
    timeoutSec: integer("timeout_sec").notNull(),
    status: text("status").notNull().$type<DeliveryStatus>(),
    exchanges: text("exchanges", { mode: "json" }).notNull().$type<Exchange[]>(),
    warnings: text("warnings", { mode: "json" }).notNull().$type<Warning[]>(),
    fallback: text("fallback", { mode: "json" }).$type<NonNullable<Message["fallback"]>>(),
    actor: text("actor", { mode: "json" }).notNull().$type<Actor>(),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [
    index("messages_created").on(t.createdAt),
    // start-up finds the sends the last run left unfinished: a partial index holds only those
    index("messages_unfinished").on(t.status).where(sql`${t.status} in ('queued', 'sending')`),
  ],
);

export const broadcasts = sqliteTable(
  "broadcasts",
  {
  id: text("id").primaryKey(),
  state: text("state").notNull(),
  message: text("message").notNull(),
  messageBytes: integer("message_bytes").notNull(),
  sha256: text("sha256").notNull(),
  session: text("session").notNull(),
  timeoutSec: integer("timeout_sec").notNull(),
  fallback: integer("fallback", { mode: "boolean" }).notNull(),
  warnings: text("warnings", { mode: "json" }).notNull().$type<Warning[]>(),
  confirmTokenHash: text("confirm_token_hash").notNull(),
  createdBy: text("created_by", { mode: "json" }).notNull().$type<Actor>(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  confirmedBy: text("confirmed_by", { mode: "json" }).$type<Actor>(),
  confirmedAt: integer("confirmed_at"),
  completedAt: integer("completed_at"),
  /** The tags the recipients were chosen by (null: everyone); informational, migration 0009. */
  groupTags: text("group_tags", { mode: "json" }).$type<string[]>(),
  },
  // start-up finds the broadcasts the last run left sending
  (t) => [index("broadcasts_sending").on(t.state).where(sql`${t.state} = 'sending'`)],
);

/** Message templates with `{{variables}}` (server/templates/); migration 0010. */
export const messageTemplates = sqliteTable(
  "message_templates",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    body: text("body").notNull(),
    createdBy: text("created_by", { mode: "json" }).notNull().$type<Actor>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("message_templates_name_uq").on(t.name)],
);

/** Scheduled broadcasts (server/schedules/): `cron` recurring or `runAt` once; migration 0010. */
export const broadcastSchedules = sqliteTable(
  "broadcast_schedules",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    message: text("message").notNull(),
    session: text("session").notNull(),
    timeoutSec: integer("timeout_sec").notNull(),
    groupTags: text("group_tags", { mode: "json" }).$type<string[]>(),
    cron: text("cron"),
    runAt: integer("run_at"),
    timezone: text("timezone").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    nextRunAt: integer("next_run_at"),
    /** Pre-approval: valid only while the text's SHA-256 and the resolved recipients are these. */
    approvedSha256: text("approved_sha256"),
    approvedRecipients: text("approved_recipients", { mode: "json" }).$type<string[]>(),
    approvedBy: text("approved_by", { mode: "json" }).$type<Actor>(),
    approvedAt: integer("approved_at"),
    createdBy: text("created_by", { mode: "json" }).notNull().$type<Actor>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("broadcast_schedules_due").on(t.nextRunAt).where(sql`${t.enabled} = 1`)],
);

/** One row per fired schedule run; the primary key is the claim (never twice, also across servers). */
export const scheduleRuns = sqliteTable(
  "schedule_runs",
  {
    scheduleId: integer("schedule_id")
      .notNull()
      .references(() => broadcastSchedules.id, { onDelete: "cascade" }),
    fireTime: integer("fire_time").notNull(),
    claimedAt: integer("claimed_at").notNull(),
    broadcastId: text("broadcast_id"),
    outcome: text("outcome").notNull(), // awaiting_confirmation | auto_confirmed | failed
    error: text("error"),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.fireTime] })],
);

/** Recipients and skipped teammates of a broadcast, frozen at create time. */
export const broadcastRecipients = sqliteTable(
  "broadcast_recipients",
  {
    broadcastId: text("broadcast_id")
      .notNull()
      .references(() => broadcasts.id, { onDelete: "cascade" }),
    teammateId: integer("teammate_id").references(() => teammates.id, { onDelete: "set null" }),
    handle: text("handle").notNull(),
    name: text("name").notNull(),
    displayName: text("display_name"),
    gatewayUrl: text("gateway_url"),
    skipReason: text("skip_reason"), // set: not a recipient (self, no_address, no_credentials)
    status: text("status").notNull().$type<DeliveryStatus>(),
    reply: text("reply"),
    /** Full size of a reply cut to MESH_REPLY_MAX_BYTES; null when kept whole. */
    replyFullBytes: integer("reply_full_bytes"),
    runId: text("run_id"),
    latencyMs: integer("latency_ms"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    auditId: integer("audit_id"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.handle] })],
);

/**
 * The audit trail. `hash` chains each row to the previous one over its immutable fields
 * (HMAC-SHA256 with the audit key); `completion_hash` seals the fields written when a
 * pending entry completes. See server/audit/chain.ts.
 */
export const auditEntries = sqliteTable(
  "audit_entries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    kind: text("kind").notNull(),
    teammate: text("teammate"),
    gatewayUrl: text("gateway_url"),
    session: text("session"),
    message: text("message"),
    messageBytes: integer("message_bytes"),
    messageSha256: text("message_sha256"),
    broadcastId: text("broadcast_id"),
    messageId: text("message_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    // written once, when a pending entry completes
    outcome: text("outcome").notNull(),
    runId: text("run_id"),
    reply: text("reply"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    latencyMs: integer("latency_ms"),
    completedAt: integer("completed_at"),
    completionHash: text("completion_hash"),
  },
  (t) => [
    index("audit_at").on(t.at),
    // partial where the column is often empty (sign-ins, system entries; sends have no
    // broadcast id, broadcast sends no message id): an entry writes only the index pages it needs
    index("audit_teammate").on(t.teammate, t.id).where(sql`${t.teammate} is not null`),
    index("audit_kind").on(t.kind, t.id),
    index("audit_outcome").on(t.outcome, t.id),
    index("audit_broadcast").on(t.broadcastId).where(sql`${t.broadcastId} is not null`),
    index("audit_message").on(t.messageId).where(sql`${t.messageId} is not null`),
  ],
);

/** Request idempotency: a retried request with the same key returns the first answer. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    actor: text("actor").notNull(),
    key: text("key").notNull(),
    route: text("route").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status"), // null while the first request is still running
    body: text("body"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.actor, t.key] })],
);


/** Send rate limits: one fixed window per (scope, key), shared by every process on this file. */
export const rateCounters = sqliteTable(
  "rate_counters",
  {
    scope: text("scope").notNull(), // "sender" | "recipient"
    key: text("key").notNull(), // the principal's audit label, or a teammate handle
    windowStart: integer("window_start").notNull(), // ms
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);
