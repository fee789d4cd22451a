// Ping / status: probes one or all teammates concurrently (bounded by MESH_PING_CONCURRENCY,
// each within MESH_PING_TIMEOUT_SEC or the request's timeoutSec), stores each result with
// registry.recordProbe and publishes `teammate.status`.
// Audit: ONE entry of kind `ping` per ping request, outcome `ok` when every probed teammate is
// online, `failed` otherwise, with details.states = {handle: state}. One entry of kind `pairing`
// per teammate that enters or leaves `pairing_required`.
// Teammates without an address or credentials get no_address / no_credentials without any
// network call.
import { gatewayTargetOf } from "../teammates/gateway-target.ts";
import type { Teammate } from "../../shared/api/teammates.ts";
import type { ProbeResult } from "../gateway/types.ts";
import type { TeammateRecord } from "../teammates/types.ts";
import type { MessagingDeps } from "./deps.ts";
import { forEachLimited } from "./limited.ts";

export interface PresenceService {
  ping(records: TeammateRecord[], actor: string, timeoutSec?: number): Promise<Teammate[]>;
  /** The background sweep's probe: like ping, but no `ping` audit entry (pairing changes are still audited). */
  refresh(records: TeammateRecord[], actor: string): Promise<Teammate[]>;
}

type LocalProbe = Omit<ProbeResult, "state"> & { state: ProbeResult["state"] | "no_address" };

export function createPresence(deps: Omit<MessagingDeps, "fallback" | "inflight">): PresenceService {
  async function probeOne(t: TeammateRecord, timeoutMs: number): Promise<LocalProbe> {
    if (!t.gatewayUrl) {
      return { state: "no_address", latencyMs: 0, paired: false };
    }
    if (!deps.registry.hasToken(t.id)) {
      return { state: "no_credentials", latencyMs: 0, paired: false };
    }
    try {
      return await deps.connector.probe(gatewayTargetOf(t, t.gatewayUrl), { timeoutMs });
    } catch (err) {
      return { state: "error", latencyMs: 0, paired: false, error: { code: "GATEWAY_ERROR", message: err instanceof Error ? err.message : String(err) } };
    }
  }

  async function probeAll(records: TeammateRecord[], actor: string, timeoutSec: number | undefined): Promise<Teammate[]> {
    const timeoutMs = (timeoutSec ?? deps.config.pingTimeoutSec) * 1000;
    const results: Teammate[] = new Array(records.length);
    await forEachLimited(records, deps.config.pingConcurrency, async (t, i) => {
      const before = deps.registry.toApi(t).status;
      const probe = await probeOne(t, timeoutMs);
      // recordProbe takes the connector's ProbeResult; no_address is our local state.
      const status = deps.registry.recordProbe(t.id, probe as ProbeResult);
      const wasPairing = before.state === "pairing_required";
      const isPairing = status.state === "pairing_required";
      if (wasPairing !== isPairing) {
        deps.audit.append({
          actor,
          kind: "pairing",
          outcome: isPairing ? "pairing_required" : "ok",
          teammate: t.handle,
          gatewayUrl: t.gatewayUrl,
          details: {
            from: before.state,
            to: status.state,
            requestId: probe.pairing?.requestId ?? null,
          },
        });
      }
      deps.bus.publish({ type: "teammate.status", handle: t.handle, status });
      results[i] = deps.registry.toApi(t);
    });
    return results;
  }

  return {
    refresh: (records, actor) => probeAll(records, actor, undefined),
    async ping(records, actor, timeoutSec) {
      const results = await probeAll(records, actor, timeoutSec);
      const states: Record<string, string> = {};
      for (const r of results) states[r.handle] = r.status.state;
      deps.audit.append({
        actor,
        kind: "ping",
        outcome: Object.values(states).every((s) => s === "online") ? "ok" : "failed",
        teammate: records.length === 1 ? (records[0]?.handle ?? null) : null,
        details: { count: records.length, states },
      });
      return results;
    },
  };
}
