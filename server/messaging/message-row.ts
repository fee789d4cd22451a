// A `messages` row as drizzle returns it (JSON columns decoded), and as the API shows it.
import type { DeliveryStatus, Exchange, Message, TeammateRef } from "../../shared/api/messages.ts";
import type { messages } from "../db/schema.ts";
import type { Registry, TeammateRecord } from "../teammates/types.ts";
import { iso, isoOrNull } from "./outcome.ts";

export type MessageRow = typeof messages.$inferSelect;

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
// The message shares the row's decoded values: a row still being changed (the round loop's)
// is passed as a snapshot (send.ts, save).
export function messageOf(row: MessageRow, registry: Pick<Registry, "byHandle">): Message {
  return {
    id: row.id,
    to: refFor(registry, row.handle, row.teammateId),
    gatewayUrl: row.gatewayUrl,
    session: row.session,
    rounds: row.rounds,
    timeoutSec: row.timeoutSec,
    status: row.status,
    exchanges: row.exchanges,
    warnings: row.warnings,
    fallback: row.fallback,
    actor: row.actor,
    createdAt: iso(row.createdAt),
    completedAt: isoOrNull(row.completedAt),
  };
}

/** A message's status is its last exchange's. */
export function overallStatus(exchanges: Exchange[]): DeliveryStatus {
  const last = exchanges[exchanges.length - 1];
  return last ? last.status : "queued";
}
