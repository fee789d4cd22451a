// The tools' input and output schemas, built from the API's own (shared/api/*): the JSON Schemas
// an MCP client sees are the REST API's, narrowed to what a tool takes.
import { z } from "zod";
import { Me } from "../../shared/api/auth.ts";
import { AuditKind, AuditOutcome, AuditPage, AuditQuery } from "../../shared/api/audit.ts";
import { Broadcast, BroadcastCreate } from "../../shared/api/broadcasts.ts";
import { Message, SendRequest } from "../../shared/api/messages.ts";
import { PingRequest, PingResult, Teammate, Whoami } from "../../shared/api/teammates.ts";

/** The longest a `send` call waits for its reply; after that it answers with the message id to poll. */
export const SEND_WAIT_MAX_SEC = 120;
export const SEND_WAIT_DEFAULT_SEC = 30;

export const Empty = z.object({});
export const IdInput = z.object({ id: z.string().min(1).max(100).describe("A message or broadcast id, as an earlier tool call returned it") });

export const WhoamiOutput = z.object({ caller: Me, agent: Whoami });
export const TeammatesOutput = z.object({ items: z.array(Teammate) });
export const PingInput = PingRequest;
export const PingOutput = PingResult;

export const SendInput = SendRequest.pick({ to: true, message: true, session: true }).extend({
  timeoutSec: z
    .number()
    .int()
    .min(1)
    .max(SEND_WAIT_MAX_SEC)
    .default(SEND_WAIT_DEFAULT_SEC)
    .describe(`How long to wait for the reply (at most ${SEND_WAIT_MAX_SEC} s); without one by then, poll get_message with the message id`),
});
/** A message, and whether the caller should poll get_message for its reply. */
export const MessageOutput = z.object({ message: Message, replied: z.boolean(), poll: z.string().nullable() });

export const BroadcastInput = BroadcastCreate.pick({ message: true, session: true, timeoutSec: true });
/** A broadcast without its confirmation token (a human confirms in the dashboard), with the page to do it. */
export const BroadcastOutput = z.object({ broadcast: Broadcast, dashboardUrl: z.string(), awaitingConfirmation: z.boolean() });

export const AuditSearchInput = AuditQuery.pick({ teammate: true, actor: true, from: true, to: true, broadcastId: true, messageId: true, q: true, cursor: true }).extend({
  kind: z.array(AuditKind).optional(),
  outcome: z.array(AuditOutcome).optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
export const AuditSearchOutput = AuditPage;
