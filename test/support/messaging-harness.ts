// Messaging services on a real SQLite file, real vault, audit log and gateway connector (against
// in-process fake gateways), with a small hand-made Registry (the real one lives in
// server/teammates and has its own tests).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { AuditEntry } from "../../shared/api/audit.ts";
import type { MeshEvent } from "../../shared/api/events.ts";
import type { Teammate } from "../../shared/api/teammates.ts";
import { createAuditLog } from "../../server/audit/log.ts";
import type { Principal } from "../../server/auth/types.ts";
import { loadConfig, type Config } from "../../server/config.ts";
import { applyMigrations, openDatabase, type Db } from "../../server/db/connection.ts";
import { writeBatchOf } from "../../server/db/write-batch.ts";
import { createEventBus } from "../../server/events/bus.ts";
import type { EventBus } from "../../server/events/types.ts";
import { createGatewayConnector, type GatewayConnector, type ProbeResult } from "../../server/gateway/index.ts";
import { ApiError } from "../../server/errors.ts";
import { createLogger } from "../../server/logger.ts";
import { createMetrics } from "../../server/metrics/index.ts";
import { createSecretGuard } from "../../server/guard/secret-guard.ts";
import { createSendRate } from "../../server/guard/send-rate.ts";
import { createBroadcastService } from "../../server/messaging/broadcast.ts";
import { createFallback } from "../../server/messaging/fallback.ts";
import { createInFlight } from "../../server/messaging/inflight.ts";
import { createPresence } from "../../server/messaging/presence.ts";
import { createMessageService } from "../../server/messaging/send.ts";
import type { Registry, TeammateRecord } from "../../server/teammates/types.ts";
import { createVault } from "../../server/vault/index.ts";
import type { Vault } from "../../server/vault/types.ts";

export const operator: Principal = { kind: "user", id: "1", name: "olivia", role: "operator", label: "user:olivia" };
export const requester: Principal = { kind: "api_key", id: "k1", name: "bot", role: "requester", label: "key:bot" };

export function makeRegistry(db: Db, vault: Vault, me: () => string | null): Registry {
  const sql = db.$client;
  const statuses = new Map<number, Teammate["status"]>();
  const rows = () => sql.prepare("select * from teammates order by handle").all() as Record<string, unknown>[];
  const rec = (r: Record<string, unknown>): TeammateRecord => ({
    id: r.id as number,
    handle: r.handle as string,
    name: r.name as string,
    displayName: (r.display_name as string | null) ?? null,
    note: null,
    tags: JSON.parse((r.tags as string | undefined) ?? "[]") as string[],
    gatewayUrl: (r.gateway_url as string | null) ?? null,
    agentId: (r.agent_id as string | null) ?? "main",
    agentEmoji: (r.agent_emoji as string | null) ?? null,
    credentialsFrom: (r.credentials_from as number | null) ?? null,
    hostname: null,
    tlsFingerprint: null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  });
  const empty: Teammate["status"] = { state: "unknown", checkedAt: null, lastSeenAt: null, latencyMs: null, version: null, scopes: null, error: null, pairing: null, protocol: null, versionTested: null, staleAt: null, autoCheck: "off", hint: null };
  const reg: Partial<Registry> = {
    list: () => rows().map(rec),
    byHandle: (h) => reg.list!().find((t) => t.handle === h.toLowerCase()) ?? null,
    byId: (id) => reg.list!().find((t) => t.id === id) ?? null,
    resolve(to) {
      const exact = reg.byHandle!(to);
      if (exact) return exact;
      const needle = to.toLowerCase();
      const hits = reg.list!().filter((t) => t.name.toLowerCase().includes(needle) || (t.displayName ?? "").toLowerCase().includes(needle));
      if (hits.length === 1) return hits[0] as TeammateRecord;
      if (hits.length === 0) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate matches ${to}`);
      throw new ApiError("AMBIGUOUS_TEAMMATE", `${to} matches several teammates`, { candidates: hits.map((h) => h.handle) });
    },
    create(input) {
      const now = Date.now();
      const info = sql
        .prepare("insert into teammates(handle, name, display_name, gateway_url, created_at, updated_at) values (?, ?, ?, ?, ?, ?)")
        .run(input.handle, input.name, input.displayName ?? null, input.gatewayUrl ?? null, now, now);
      if (input.token) vault.put(Number(info.lastInsertRowid), "gateway_token", input.token);
      return reg.byHandle!(input.handle) as TeammateRecord;
    },
    hasToken: (id) => vault.info(id, "gateway_token") !== null,
    me: () => {
      const h = me();
      return h ? { handle: h, source: "env" as const } : null;
    },
    recordProbe(id, result: ProbeResult) {
      const s: Teammate["status"] = {
        ...empty,
        state: result.state,
        checkedAt: new Date().toISOString(),
        latencyMs: result.latencyMs,
        error: result.error ? { code: result.error.code, message: result.error.message } : null,
        pairing: result.pairing ?? null,
      };
      statuses.set(id, s);
      return s;
    },
    toApi(t) {
      const iso = new Date(t.createdAt).toISOString();
      return {
        handle: t.handle,
        name: t.name,
        displayName: t.displayName,
        tags: t.tags,
        note: null,
        gatewayUrl: t.gatewayUrl,
        hostname: null,
        tlsFingerprint: null,
        agentId: t.agentId,
        agentEmoji: t.agentEmoji,
        isMe: t.handle === me(),
        credential: { set: reg.hasToken!(t.id), setAt: null, lastUsedAt: null },
        device: { paired: false, pairedAt: null },
        status: statuses.get(t.id) ?? empty,
        sharedGatewayWith: [],
        createdAt: iso,
        updatedAt: iso,
      };
    },
  };
  return reg as Registry;
}

export interface Harness {
  config: Config;
  db: Db;
  registry: Registry;
  audit: ReturnType<typeof createAuditLog>;
  connector: GatewayConnector;
  events: MeshEvent[];
  bus: EventBus;
  logs: string[];
  messages: ReturnType<typeof createMessageService>;
  broadcasts: ReturnType<typeof createBroadcastService>;
  presence: ReturnType<typeof createPresence>;
  inflight: ReturnType<typeof createInFlight>;
  auditEntries(): AuditEntry[];
  close(): Promise<void>;
}

export function createHarness(env: Record<string, string> = {}, opts: { connector?: GatewayConnector; me?: string } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), "mesh-msg-"));
  const config = loadConfig({ MESH_DATA_DIR: dir, MESH_LOG_LEVEL: "debug", MESH_LOG_PRETTY: "0", MESH_RATE_SENDER_MAX: "0", MESH_RATE_RECIPIENT_MAX: "0", ...env });
  const logs: string[] = [];
  const logger = createLogger(config, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const db = openDatabase(config.dbFile);
  applyMigrations(db);
  const vault = createVault(db, randomBytes(32));
  const writes = writeBatchOf(db.$client);
  const bus = createEventBus(logger, { whenCommitted: (fn) => writes.afterCommit(fn) }); // as services.ts
  const events: MeshEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const audit = createAuditLog({ db, vault, onAppend: (entry) => bus.publish({ type: "audit.appended", entry }) });
  const registry = makeRegistry(db, vault, () => opts.me ?? null);
  const connector = opts.connector ?? createGatewayConnector({ credentials: vault.gatewayCredentials(), idleCloseMs: 5_000, connectTimeoutMs: 3_000 });
  const metrics = createMetrics({ defaultMetrics: false });
  const inflight = createInFlight();
  const fallback = createFallback({ config, audit, logger, timeoutMs: 2_000 });
  const guard = { secrets: createSecretGuard(audit), rate: createSendRate(db, config) };
  const deps = { config, db, logger, vault, audit, registry, bus, connector, metrics, inflight, fallback, guard };
  return {
    config,
    db,
    registry,
    audit,
    connector,
    events,
    bus,
    logs,
    inflight,
    messages: createMessageService(deps, { mayCancelOthers: (p) => p.role === "operator" || p.role === "admin" }),
    broadcasts: createBroadcastService(deps, {
      canConfirm: (p) => p.role === "operator" || p.role === "admin",
      mayCancelOthers: (p) => p.role === "operator" || p.role === "admin",
    }),
    presence: createPresence(deps),
    auditEntries: () => audit.query({ limit: 500 }).items.slice().reverse(),
    async close() {
      await inflight.drain(5_000);
      await connector.close();
      writes.flush();
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
