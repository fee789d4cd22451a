// Presence as the API shows it: a teammate's stored probe outcome, credentials and shared
// gateway combined into `Teammate` (one or many at once), and recording a probe (+ history).
import type { Teammate, TeammateStatus } from "../../shared/api/teammates.ts";
import { AUTH_FAILED_HINT, versionTested } from "../../shared/gateway-versions.ts";
import { approveCommand } from "../../shared/pairing.ts";
import { isoOrNull as iso } from "../db/time.ts";
import { ApiError } from "../errors.ts";
import type { CredentialInfo, CredentialKind, Vault } from "../vault/types.ts";
import type { RegistryContext } from "./context.ts";
import { sharedWith, type Lookups } from "./lookups.ts";
import { STATUS_HISTORY_KEEP, type StatusRow } from "./queries.ts";
import type { MeshRegistry, TeammateRecord } from "./types.ts";

type Creds = Partial<Record<CredentialKind, CredentialInfo>>;

/** A stored pairing request id becomes a command only in OpenClaw's format (rows from before the check included). */
function pairingOf(requestId: string): { requestId: string; approveCommand: string } | null {
  const command = approveCommand(requestId);
  return command ? { requestId, approveCommand: command } : null;
}

/** How long a check stays current: with a sweep, its interval plus its jitter (10 %) and a probe's timeout; without one, 60 s. */
export interface Freshness {
  intervalSec: number;
  pingTimeoutSec: number;
}

function staleAtOf(checkedAt: number | null | undefined, f: Freshness): string | null {
  if (checkedAt === null || checkedAt === undefined) return null;
  const ms = f.intervalSec > 0 ? Math.ceil(f.intervalSec * 1100) + f.pingTimeoutSec * 1000 : 60_000;
  return new Date(checkedAt + ms).toISOString();
}

/** The state shown: no address / no credentials win over what the last probe saw. */
export function buildStatus(rec: TeammateRecord, creds: Creds, s: StatusRow | undefined, f: Freshness = { intervalSec: 0, pingTimeoutSec: 5 }): TeammateStatus {
  const hasCred = Boolean(creds.gateway_token || creds.device_token);
  const state: TeammateStatus["state"] = !rec.gatewayUrl
    ? "no_address"
    : !hasCred
      ? "no_credentials"
      : ((s?.state as TeammateStatus["state"] | undefined) ?? "unknown");
  let scopes: string[] | null = null;
  if (s?.scopes) {
    try {
      const parsed = JSON.parse(s.scopes) as unknown;
      scopes = Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : null;
    } catch {
      scopes = null;
    }
  }
  const live = state === s?.state;
  return {
    state,
    checkedAt: iso(s?.checkedAt),
    lastSeenAt: iso(s?.lastSeenAt),
    latencyMs: s?.latencyMs ?? null,
    version: s?.version ?? null,
    scopes,
    error: live && s?.errorCode ? { code: s.errorCode, message: s.errorMessage ?? "" } : null,
    pairing: live && state === "pairing_required" && s?.pairingRequestId ? pairingOf(s.pairingRequestId) : null,
    protocol: s?.protocol ?? null,
    versionTested: versionTested(s?.version),
    staleAt: state === "no_address" || state === "no_credentials" ? null : staleAtOf(s?.checkedAt, f),
    autoCheck: state === "auth_failed" ? "paused" : f.intervalSec > 0 ? "on" : "off",
    hint: state === "auth_failed" ? AUTH_FAILED_HINT : null,
  };
}

function toApiWith(rec: TeammateRecord, creds: Creds, s: StatusRow | undefined, myHandle: string | null, byGateway: Map<string, string[]>, f: Freshness): Teammate {
  const token = creds.gateway_token;
  const device = creds.device_token;
  return {
    handle: rec.handle,
    name: rec.name,
    displayName: rec.displayName,
    note: rec.note,
    tags: rec.tags ?? [],
    gatewayUrl: rec.gatewayUrl,
    hostname: rec.hostname,
    tlsFingerprint: rec.tlsFingerprint,
    agentId: rec.agentId,
    agentEmoji: rec.agentEmoji,
    isMe: myHandle !== null && rec.handle === myHandle,
    credential: { set: Boolean(token), setAt: iso(token?.setAt), lastUsedAt: iso(token?.lastUsedAt) },
    device: { paired: Boolean(device), pairedAt: iso(device?.setAt) },
    status: buildStatus(rec, creds, s, f),
    sharedGatewayWith: sharedWith(rec, byGateway),
    createdAt: new Date(rec.createdAt).toISOString(),
    updatedAt: new Date(rec.updatedAt).toISOString(),
  };
}

export function credsOf(vault: Pick<Vault, "info">, id: number): Creds {
  const out: Creds = {};
  for (const kind of ["gateway_token", "device_token"] as const) {
    const info = vault.info(id, kind);
    if (info) out[kind] = info;
  }
  return out;
}

export function createStatus(
  { sql, q, vault, now, opts }: RegistryContext,
  { read, handlesByGateway }: Lookups,
): Pick<MeshRegistry, "hasToken" | "recordProbe" | "noteAlive" | "toApi" | "toApiMany" | "history"> {
  const fresh = (): Freshness => ({ intervalSec: opts.config.presenceIntervalSec ?? 0, pingTimeoutSec: opts.config.pingTimeoutSec ?? 5 });
  const toApi = (rec: TeammateRecord) =>
    toApiWith(rec, credsOf(vault, rec.id), q.status(rec.id), read.me()?.handle ?? null, handlesByGateway(), fresh());
  return {
    hasToken: (id) => vault.info(id, "gateway_token") !== null || vault.info(id, "device_token") !== null,
    recordProbe(teammateId, result) {
      const t = now();
      const prev = q.status(teammateId);
      const state = result.state as string;
      const latencyMs = Number.isFinite(result.latencyMs) ? Math.round(result.latencyMs) : null;
      sql.transaction(() => {
        q.upsertStatus({
          teammateId,
          state,
          checkedAt: t,
          lastSeenAt: state === "online" ? t : (prev?.lastSeenAt ?? null),
          latencyMs,
          version: result.version ?? prev?.version ?? null,
          protocol: result.protocol ?? prev?.protocol ?? null,
          scopes: result.scopes ? JSON.stringify(result.scopes) : state === "online" ? null : (prev?.scopes ?? null),
          errorCode: result.error?.code ?? null,
          errorMessage: result.error?.message?.slice(0, 1000) ?? null,
          pairingRequestId: result.pairing?.requestId ?? null,
        });
        q.addHistory({ teammateId, at: t, state, latencyMs, errorCode: result.error?.code ?? null });
        q.pruneHistory(teammateId);
      }).immediate();
      const row = q.byId(teammateId);
      if (!row) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate with id ${teammateId}`);
      return toApi(row).status;
    },
    noteAlive(teammateId) {
      // only an online status is confirmed by a live event: any other state waits for a probe
      const prev = q.status(teammateId);
      if (prev?.state !== "online") return null;
      const t = now();
      q.upsertStatus({ ...prev, checkedAt: t, lastSeenAt: t });
      const row = q.byId(teammateId);
      return row ? toApi(row).status : null;
    },
    toApi,
    toApiMany(records) {
      const creds = vault.infoAll();
      const statuses = new Map(q.statuses().map((s) => [s.teammateId, s]));
      const my = read.me()?.handle ?? null;
      const byGateway = handlesByGateway();
      const f = fresh();
      return records.map((r) => toApiWith(r, creds.get(r.id) ?? {}, statuses.get(r.id), my, byGateway, f));
    },
    history(teammateId, limit = STATUS_HISTORY_KEEP) {
      return q.history(teammateId, limit).map((h) => ({ ...h, at: new Date(h.at).toISOString() }));
    },
  };
}
