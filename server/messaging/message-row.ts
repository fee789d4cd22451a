// A `messages` row as SQLite returns it, and as the API shows it.
import type { Actor, Warning } from "../../shared/api/common.ts";
import type { DeliveryStatus, Exchange, Message, TeammateRef } from "../../shared/api/messages.ts";
import type { Registry, TeammateRecord } from "../teammates/types.ts";
import type { FallbackResult } from "./fallback.ts";
import { iso, isoOrNull } from "./outcome.ts";

export interface MessageRow {
  id: string;
  teammate_id: number | null;
  handle: string;
  gateway_url: string | null;
  session: string;
  rounds: number;
  timeout_sec: number;
  status: string;
  exchanges: string;
  warnings: string;
  fallback: string | null;
  actor: string;
  created_at: number;
  completed_at: number | null;
}

export function refOf(t: Pick<TeammateRecord, "handle" | "name" | "displayName">): TeammateRef {
  return { handle: t.handle, name: t.name, displayName: t.displayName };
}

/** The teammate as the registry has it now; the stored handle alone when it is gone or was replaced. */
function refFor(registry: Pick<Registry, "byHandle">, handle: string, teammateId: number | null): TeammateRef {
  const t = registry.byHandle(handle);
  if (t && (teammateId === null || t.id === teammateId)) return refOf(t);
  return { handle, name: handle, displayName: null };
}

// Rows are written only by send.ts, so they are shaped, not re-validated: a schema parse per
// save was a large part of a send's CPU. (send.test.ts checks the shape against the schema.)
export function messageOf(row: MessageRow, registry: Pick<Registry, "byHandle">): Message {
  return {
    id: row.id,
    to: refFor(registry, row.handle, row.teammate_id),
    gatewayUrl: row.gateway_url,
    session: row.session,
    rounds: row.rounds,
    timeoutSec: row.timeout_sec,
    status: row.status as DeliveryStatus,
    exchanges: JSON.parse(row.exchanges) as Exchange[],
    warnings: JSON.parse(row.warnings) as Warning[],
    fallback: row.fallback === null ? null : (JSON.parse(row.fallback) as FallbackResult),
    actor: JSON.parse(row.actor) as Actor,
    createdAt: iso(row.created_at),
    completedAt: isoOrNull(row.completed_at),
  };
}

/** A message's status is its last exchange's. */
export function overallStatus(exchanges: Exchange[]): DeliveryStatus {
  const last = exchanges[exchanges.length - 1];
  return last ? last.status : "queued";
}
