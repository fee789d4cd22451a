// What every part of the registry shares: its options, statements, clock, and the three side
// effects of a change (audit entry, `teammates.changed` event, credentials-changed signal).
import type { AuditLog } from "../audit/types.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db/connection.ts";
import type { EventBus } from "../events/types.ts";
import type { Logger } from "../logger.ts";
import type { Vault } from "../vault/types.ts";
import { prepareQueries, type Queries } from "./queries.ts";

export interface CredentialChange {
  tokenSet: boolean;
  actor: string;
  check?: boolean;
}

export interface RegistryOptions {
  db: Db;
  config: Pick<Config, "myHandle" | "registryUrl"> & Partial<Pick<Config, "presenceIntervalSec" | "pingTimeoutSec">>;
  vault: Vault;
  audit: Pick<AuditLog, "append">;
  logger?: Pick<Logger, "info" | "warn" | "error">;
  bus?: Pick<EventBus, "publish">;
  /**
   * URL, certificate pin or token of a teammate changed (or it was deleted): drop pooled
   * connections. `tokenSet`: a token was just set (PUT .../token), which should connect at once
   * so pairing shows up without a manual check. `check`: a teammate created with a token, or a
   * new address of one that has credentials: probe it at once too (no `ping` audit entry).
   */
  onCredentialsChanged?: (teammateId: number, change: CredentialChange) => void;
  /** Timeout of a sync download (default 10 s). */
  syncTimeoutMs?: number;
  now?: () => number;
}

export interface RegistryContext {
  opts: RegistryOptions;
  sql: Db["$client"];
  q: Queries;
  vault: Vault;
  audit: Pick<AuditLog, "append">;
  now: () => number;
  /** Signals a credential/address change (a listener's failure is logged, never thrown). */
  changed(id: number, change?: CredentialChange): void;
  /** Publishes `teammates.changed` (a listener's failure is not the registry's). */
  publish(handle: string | null): void;
  auditChange(actor: string, kind: "registry" | "credential" | "settings", rec: { handle: string; gatewayUrl: string | null } | null, details: Record<string, unknown>): void;
}

export function createContext(opts: RegistryOptions): RegistryContext {
  const sql = opts.db.$client;
  const { vault, audit } = opts;
  return {
    opts,
    sql,
    q: prepareQueries(opts.db),
    vault,
    audit,
    now: opts.now ?? Date.now,
    changed(id, change = { tokenSet: false, actor: "system" }) {
      try {
        opts.onCredentialsChanged?.(id, change);
      } catch (err) {
        opts.logger?.warn({ err, teammateId: id }, "onCredentialsChanged failed");
      }
    },
    publish(handle) {
      try {
        opts.bus?.publish({ type: "teammates.changed", handle });
      } catch {
        /* a listener's failure is not the registry's */
      }
    },
    auditChange(actor, kind, rec, details) {
      audit.append({ actor, kind, outcome: "ok", teammate: rec?.handle ?? null, gatewayUrl: rec?.gatewayUrl ?? null, details });
    },
  };
}
