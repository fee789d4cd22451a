// Builds every service of one running server from its config: used by main.ts and by tests.
// Order: logger → db + migrations → vault → event bus → audit → registry → connector →
// messaging. close() undoes it (connector, then the database).
import type { AuditEntry } from "../shared/api/audit.ts";
import type { Config } from "./config.ts";
import { applyMigrations, openDatabase } from "./db/connection.ts";
import type { CoreDeps } from "./deps.ts";
import { writeBatchOf } from "./db/write-batch.ts";
import { createEventBus } from "./events/bus.ts";
import { createGatewayConnector, type GatewayConnector } from "./gateway/index.ts";
import { releaseUnfinishedIdempotencyKeys } from "./http/idempotency.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics/index.ts";
import { createBroadcastService, type BroadcastService } from "./messaging/broadcast.ts";
import { createFallback, type Fallback } from "./messaging/fallback.ts";
import { createInFlight, type InFlight } from "./messaging/inflight.ts";
import { createPresence, type PresenceService } from "./messaging/presence.ts";
import { startPresenceSweep } from "./messaging/presence-sweep.ts";
import { createMessageService, type MessageService } from "./messaging/send.ts";
import { createAuditLog } from "./audit/log.ts";
import { createSecretGuard } from "./guard/secret-guard.ts";
import { createSendRate } from "./guard/send-rate.ts";
import { createVault, loadMasterKey, vaultInitialized } from "./vault/index.ts";
import { createRegistry, startSyncTimer } from "./teammates/index.ts";
import type { Principal } from "./auth/types.ts";
import { createSchedules, type SchedulesService } from "./schedules/service.ts";
import { authServiceOf, can, type AuthService } from "./auth/index.ts";

export interface Services extends CoreDeps {
  auth: AuthService;
  metrics: Metrics;
  inflight: InFlight;
  fallback: Fallback;
  messages: MessageService;
  broadcasts: BroadcastService;
  presence: PresenceService;
  schedules: SchedulesService;
  /** False once close() began. */
  isOpen(): boolean;
  /** Start-up recovery: pending audit entries, unfinished messages and broadcast recipients → interrupted. */
  recover(): { audit: number; messages: number; broadcasts: number; idempotencyKeys: number };
  close(): Promise<void>;
}

export interface ServiceOverrides {
  logger?: Logger;
  connector?: GatewayConnector;
}

export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const logger = overrides.logger ?? createLogger(config);
  const db = openDatabase(config.dbFile);
  let open = true;
  try {
    applyMigrations(db);
    const master = loadMasterKey(config, { vaultExists: vaultInitialized(db) });
    const vault = createVault(db, master.key);
    const writes = writeBatchOf(db.$client);
    // Events wait for the commit of what they report (db/write-batch.ts): no client sees a state
    // a crash could still undo.
    const bus = createEventBus(logger, { whenCommitted: (fn) => writes.afterCommit(fn) });
    const publishAudit = (entry: AuditEntry) => bus.publish({ type: "audit.appended", entry });
    const audit = createAuditLog({
      db,
      vault,
      onAppend: publishAudit,
      onComplete: publishAudit,
      onVerifyProgress: (progress) => bus.publish({ type: "audit.verify", progress }),
      onAnomaly: (reason) => logger.error({ reason }, "audit trail tampered with: verify will report it"),
    });
    // Late-bound: the connector and presence are built after the registry.
    let onCredentialsChanged: (teammateId: number, change: { tokenSet: boolean; actor: string; check?: boolean }) => void = () => undefined;
    let onGatewayAlive: (teammateId: number) => void = () => undefined;
    const registry = createRegistry({ db, config, vault, audit, logger, bus, onCredentialsChanged: (id, change) => onCredentialsChanged(id, change) });
    const connector =
      overrides.connector ??
      createGatewayConnector({
        credentials: vault.gatewayCredentials(),
        logger: logger.child({ module: "gateway" }),
        idleCloseMs: 60_000,
        connectTimeoutMs: 10_000,
        replyMaxBytes: config.replyMaxBytes,
        onGatewayAlive: (id) => onGatewayAlive(id),
      });
    // Built once per database; its first call runs first-start setup (admin from MESH_ADMIN_PASSWORD).
    const auth = authServiceOf({ db, config, audit, logger });
    const metrics = createMetrics();
    const inflight = createInFlight();
    const fallback = createFallback({ config, audit, logger });
    const core: CoreDeps = { config, db, logger, vault, audit, registry, bus, connector };
    const guard = { secrets: createSecretGuard(audit), rate: createSendRate(db, config) };
    const messagingDeps = { ...core, metrics, inflight, fallback, guard };
    // Whoever may release a broadcast to the team (operator, admin) may also stop others' messages.
    const mayCancelOthers = (p: Principal) => can(p.role, "broadcast:confirm");
    const messages = createMessageService(messagingDeps, { mayCancelOthers });
    const broadcasts = createBroadcastService(messagingDeps, {
      canConfirm: (p: Principal) => can(p.role, "broadcast:confirm"),
      mayCancelOthers,
    });
    const presence = createPresence(messagingDeps);
    // Address, pin or token changed (or deleted): drop the pooled connection. A token just set
    // connects at once, in the background, so a gateway that wants pairing says so right away.
    onCredentialsChanged = (id, change) => {
      connector.forget(id);
      if (!(change.tokenSet || change.check) || !open) return;
      const record = registry.byId(id);
      if (!record) return;
      // Started after the current request's synchronous work, so its answer shows the state before.
      setImmediate(() => {
        if (!open) return;
        (change.tokenSet ? presence.ping([record], change.actor) : presence.refresh([record], change.actor)).catch((err: unknown) => logger.warn({ err, teammate: record.handle }, "probe after token change failed"));
      });
    };
    const stopSync = startSyncTimer({ registry, config, logger });
    const sweep = startPresenceSweep({ config, registry, presence, logger });
    // A tick/health/presence event on an open connection confirms an online status (one write
    // per teammate per 10 s at most: gateways tick every 30 s, health events may come faster).
    const aliveNoted = new Map<number, number>();
    onGatewayAlive = (id) => {
      const t = Date.now();
      if (!open || t - (aliveNoted.get(id) ?? 0) < 10_000) return;
      aliveNoted.set(id, t);
      const record = registry.byId(id);
      const status = record ? registry.noteAlive(id) : null;
      if (record && status) bus.publish({ type: "teammate.status", handle: record.handle, status });
    };
    const schedules = createSchedules({ db, registry, broadcasts, audit, logger });
    const stopScheduler = schedules.start(config.scheduleTickMs);
    metrics.setSources({
      openConnections: () => connector.openConnections(),
      teammatesByState: () => {
        const counts: Record<string, number> = {};
        for (const t of registry.list()) {
          const s = registry.toApi(t).status.state;
          counts[s] = (counts[s] ?? 0) + 1;
        }
        return counts;
      },
    });

    return {
      ...core,
      auth,
      metrics,
      inflight,
      fallback,
      messages,
      broadcasts,
      presence,
      schedules,
      isOpen: () => open,
      recover() {
        const result = {
          audit: audit.interruptPending(),
          messages: messages.interruptUnfinished(),
          broadcasts: broadcasts.interruptUnfinished(),
          idempotencyKeys: releaseUnfinishedIdempotencyKeys(db),
        };
        if (result.audit || result.messages || result.broadcasts) logger.warn(result, "start-up: marked work left unfinished by the last run as interrupted");
        return result;
      },
      async close() {
        if (!open) return;
        open = false;
        stopSync();
        await sweep.stop();
        // a run being fired finishes (its broadcast row written) before the database closes
        await stopScheduler();
        // rate-limited sign-ins still only counted in memory get their aggregate audit entry
        try {
          auth.close();
        } catch (err) {
          logger.warn({ err }, "writing the aggregated sign-in refusals failed");
        }
        await connector.close().catch((err: unknown) => logger.warn({ err }, "closing gateway connections failed"));
        try {
          writes.flush();
        } catch (err) {
          logger.error({ err }, "the last writes could not be committed");
        }
        db.$client.close();
      },
    };
  } catch (err) {
    if (open) db.$client.close();
    throw err;
  }
}
