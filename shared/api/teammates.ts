import { z } from "zod";
import { Handle, Iso } from "./common.ts";
import { TEAMMATE_STATES } from "./enums.ts";

export const TeammateState = z.enum(TEAMMATE_STATES);
export type TeammateState = z.infer<typeof TeammateState>;

export const Pairing = z.object({ requestId: z.string(), approveCommand: z.string() });

export const TeammateStatus = z.object({
  state: TeammateState,
  checkedAt: Iso.nullable(),
  lastSeenAt: Iso.nullable(),
  latencyMs: z.number().nullable(),
  version: z.string().nullable(),
  scopes: z.array(z.string()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  pairing: Pairing.nullable(),
  /** Gateway protocol version from hello-ok. */
  protocol: z.number().int().nullable(),
  /** False when the gateway's version is outside the tested range (shared/gateway-versions.ts); null: unknown. */
  versionTested: z.boolean().nullable(),
  /** When this status stops being current (one sweep interval, its jitter and a probe timeout after checkedAt). */
  staleAt: Iso.nullable(),
  /** "paused": the gateway refused the credentials, so no sweep or retry tries it until they change. */
  autoCheck: z.enum(["on", "paused", "off"]),
  /** What to do about the current state (set for auth_failed). */
  hint: z.string().nullable(),
});
export type TeammateStatus = z.infer<typeof TeammateStatus>;

/** An OpenClaw agent id, as the gateway accepts it (normalizeAgentId: 1-64 of a-z 0-9 _ -, lower-cased). */
export const AgentId = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, "agentId: 1-64 letters, digits, _ or -, starting with a letter or digit")
  .toLowerCase();
export const DEFAULT_AGENT_ID = "main";
const AgentEmoji = z.string().trim().min(1).max(32);
/** A tag (group) name: lower-case letters, digits, "-" or "_", at most 32; a leading "@" is dropped. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const TAGS_MAX = 20;
export const Tag = z
  .string()
  .trim()
  .transform((t) => t.replace(/^@/, "").toLowerCase())
  .pipe(z.string().regex(TAG_PATTERN, 'tag: 1-32 of a-z, 0-9, "-", "_", starting with a letter or digit (e.g. "backend")'));
/** A teammate's tags: distinct, sorted. */
export const Tags = z
  .array(Tag)
  .max(TAGS_MAX, `at most ${TAGS_MAX} tags`)
  .transform((tags) => [...new Set(tags)].sort());

/** A teammate as the API shows it. Credentials appear only as "set or not". */
export const Teammate = z.object({
  handle: z.string(),
  name: z.string(),
  displayName: z.string().nullable(),
  note: z.string().nullable(),
  /** Groups this teammate is in (`@backend`), for filtering and group broadcasts. */
  tags: z.array(z.string()),
  gatewayUrl: z.string().nullable(),
  hostname: z.string().nullable(),
  tlsFingerprint: z.string().nullable(),
  /** The agent on that gateway this entry addresses (sends go to `agent:<agentId>:<session>`). */
  agentId: z.string(),
  /** The agent's emoji from agent.identity.get, when it was added by discovery. */
  agentEmoji: z.string().nullable(),
  isMe: z.boolean(),
  credential: z.object({ set: z.boolean(), setAt: Iso.nullable(), lastUsedAt: Iso.nullable() }),
  device: z.object({ paired: z.boolean(), pairedAt: Iso.nullable() }),
  status: TeammateStatus,
  /** Handles of other teammates whose entry points to the same gateway address (one agent, shared sessions). */
  sharedGatewayWith: z.array(z.string()),
  createdAt: Iso,
  updatedAt: Iso,
});
export type Teammate = z.infer<typeof Teammate>;

const GatewayUrl = z
  .string()
  .trim()
  .max(512)
  .regex(/^wss?:\/\//i, "gatewayUrl must start with ws:// or wss://");
const Fingerprint = z
  .string()
  .trim()
  .regex(/^(sha256:)?([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i, "tlsFingerprint: SHA-256 of the certificate, 64 hex digits");

export const TeammateCreate = z.object({
  handle: Handle,
  name: z.string().trim().min(1).max(200),
  displayName: z.string().trim().max(200).nullish(),
  note: z.string().max(2000).nullish(),
  tags: Tags.optional(),
  gatewayUrl: GatewayUrl.nullish(),
  hostname: z.string().trim().max(253).nullish(),
  tlsFingerprint: Fingerprint.nullish(),
  /** Default "main". */
  agentId: AgentId.optional(),
  agentEmoji: AgentEmoji.nullish(),
  /** Write-only: the teammate's shared gateway token. Never returned. */
  token: z.string().min(1).max(4096).optional(),
});
export type TeammateCreate = z.infer<typeof TeammateCreate>;

export const TeammateUpdate = TeammateCreate.omit({ handle: true, token: true }).partial();
export type TeammateUpdate = z.infer<typeof TeammateUpdate>;

export const TokenSet = z.object({ token: z.string().min(1).max(4096) });

/** The old agent-team-mesh skill's two files, as uploaded. */
export const LegacyRegistryFile = z.object({
  gatewayUrlPattern: z.string().optional(),
  agents: z.array(
    z.object({
      name: z.string().optional(),
      redName: z.string().optional(),
      emailPrefix: z.string(),
      note: z.string().optional(),
      ip: z.string().optional().nullable(),
      hostname: z.string().optional().nullable(),
    }).loose(),
  ),
}).loose();
export const LegacyTokensFile = z.object({ tokens: z.record(z.string(), z.string()) }).loose();

export const ImportRequest = z.object({
  registry: LegacyRegistryFile,
  tokens: LegacyTokensFile.optional(),
});
export type ImportRequest = z.infer<typeof ImportRequest>;

export const ImportReport = z.object({
  created: z.array(z.string()),
  updated: z.array(z.string()),
  unchanged: z.array(z.string()),
  skipped: z.array(z.object({ handle: z.string().nullable(), reason: z.string() })),
  tokensSet: z.array(z.string()),
});
export type ImportReport = z.infer<typeof ImportReport>;

export const SyncReport = ImportReport.extend({
  source: z.string(),
  at: Iso,
  /** Handles in the registry but not in the source: reported, never deleted by a sync. */
  missing: z.array(z.string()),
});
export type SyncReport = z.infer<typeof SyncReport>;

export const Whoami = z.object({
  me: Teammate.nullable(),
  source: z.enum(["env", "setting"]).nullable(),
});
export type Whoami = z.infer<typeof Whoami>;
export const WhoamiSet = z.object({ handle: z.string().nullable() });

export const PingRequest = z.object({
  /** A handle, name or display name; omit to ping everyone. */
  to: z.string().min(1).optional(),
  timeoutSec: z.number().int().min(1).max(60).optional(),
});
export const PingResult = z.object({
  teammates: z.array(Teammate),
});

/** One agent a gateway reports (agents.list, named by agent.identity.get). */
export const DiscoveredAgent = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  emoji: z.string().nullable(),
  /** The gateway's default agent (what a bare session name reaches). */
  isDefault: z.boolean(),
  /** Handle of the teammate entry that already addresses this agent on this gateway, if any. */
  teammate: z.string().nullable(),
});
export type DiscoveredAgent = z.infer<typeof DiscoveredAgent>;
export const AgentDiscovery = z.object({ gatewayUrl: z.string(), agents: z.array(DiscoveredAgent) });
export type AgentDiscovery = z.infer<typeof AgentDiscovery>;

/** Adds entries for agents of the gateway of `{handle}`, sharing its gateway address and credentials. */
export const AgentsAdd = z.object({
  agents: z
    .array(
      z.object({
        agentId: AgentId,
        handle: Handle,
        name: z.string().trim().min(1).max(200),
        emoji: AgentEmoji.nullish(),
      }),
    )
    .min(1)
    .max(50),
});
export type AgentsAdd = z.infer<typeof AgentsAdd>;
export const AgentsAdded = z.object({ items: z.array(Teammate) });
