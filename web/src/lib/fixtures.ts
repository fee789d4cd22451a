// Sample API objects for component tests.
import type { Teammate } from "../../../shared/api/teammates.ts";
import type { Broadcast, Recipient } from "../../../shared/api/broadcasts.ts";
import type { Message } from "../../../shared/api/messages.ts";

const at = "2026-01-02T03:04:05.000Z";

export function teammate(handle: string, over: Partial<Teammate> = {}): Teammate {
  return {
    handle,
    name: handle[0]?.toUpperCase() + handle.slice(1),
    displayName: null,
    note: null,
    tags: [],
    gatewayUrl: `ws://127.0.0.1:18789`,
    hostname: null,
    tlsFingerprint: null,
    agentId: "main",
    agentEmoji: null,
    isMe: false,
    credential: { set: true, setAt: at, lastUsedAt: null },
    device: { paired: false, pairedAt: null },
    status: { state: "online", checkedAt: at, lastSeenAt: at, latencyMs: 12, version: "2026.9.1", scopes: null, error: null, pairing: null, protocol: 4, versionTested: true, staleAt: null, autoCheck: "on", hint: null },
    sharedGatewayWith: [],
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

export function recipient(handle: string, over: Partial<Recipient> = {}): Recipient {
  return {
    handle,
    name: handle,
    displayName: null,
    status: "queued",
    reply: null,
    replyFullBytes: null,
    runId: null,
    latencyMs: null,
    error: null,
    attempts: 0,
    updatedAt: at,
    ...over,
  };
}

export function broadcast(over: Partial<Broadcast> = {}): Broadcast {
  return {
    id: "bc_1",
    state: "awaiting_confirmation",
    message: "Standup in 5 minutes",
    messageBytes: 20,
    sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    session: "main",
    timeoutSec: 60,
    recipients: [recipient("alice"), recipient("bob")],
    skipped: [
      { handle: "carol", name: "Carol", displayName: null, reason: "no_credentials" },
      { handle: "me", name: "Me", displayName: null, reason: "self" },
    ],
    counts: {},
    warnings: [],
    group: null,
    createdBy: { kind: "user", name: "admin", role: "admin" },
    createdAt: at,
    expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    confirmedBy: null,
    confirmedAt: null,
    completedAt: null,
    fallback: true,
    confirmationToken: "tok-123",
    ...over,
  };
}

export function message(over: Partial<Message> = {}): Message {
  return {
    id: "msg_1",
    to: { handle: "alice", name: "Alice", displayName: null },
    gatewayUrl: "ws://127.0.0.1:18789",
    session: "main",
    rounds: 1,
    timeoutSec: 60,
    status: "replied",
    exchanges: [
      {
        round: 1,
        message: "hello",
        messageBytes: 5,
        status: "replied",
        reply: "hi",
        replyFullBytes: null,
        runId: "run_1",
        latencyMs: 42,
        error: null,
        auditId: 1,
      },
    ],
    warnings: [],
    fallback: null,
    actor: { kind: "user", name: "admin", role: "admin" },
    createdAt: at,
    completedAt: at,
    ...over,
  };
}
