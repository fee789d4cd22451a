import { z } from "zod";
import { TeammateStatus } from "./teammates.ts";
import { Message } from "./messages.ts";
import { Broadcast, Recipient } from "./broadcasts.ts";
import { AuditEntry, AuditVerifyProgress } from "./audit.ts";

/** Everything pushed on the WebSocket at /api/v1/events, one JSON object per frame. */
export const MeshEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), at: z.string() }),
  z.object({ type: z.literal("teammate.status"), handle: z.string(), status: TeammateStatus }),
  z.object({ type: z.literal("teammates.changed"), handle: z.string().nullable() }),
  z.object({ type: z.literal("message.updated"), message: Message }),
  /** Partial reply text while the agent is still generating. */
  z.object({ type: z.literal("message.delta"), id: z.string(), round: z.number().int(), text: z.string() }),
  z.object({ type: z.literal("broadcast.updated"), broadcast: Broadcast }),
  z.object({ type: z.literal("broadcast.recipient"), id: z.string(), recipient: Recipient }),
  z.object({ type: z.literal("audit.appended"), entry: AuditEntry }),
  /** A chain verify started, moved on (at most every 250 ms) or ended. */
  z.object({ type: z.literal("audit.verify"), progress: AuditVerifyProgress }),
]);
export type MeshEvent = z.infer<typeof MeshEvent>;

export { EVENTS_CLOSE } from "./enums.ts";
