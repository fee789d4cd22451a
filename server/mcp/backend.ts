// What the MCP tools need from Team Mesh, whichever transport carries them: on the server
// (Streamable HTTP at /mcp) the services themselves, as the caller's API key
// (service-backend.ts); in `team-mesh mcp` (stdio) the REST API through the typed client
// (cli/mcp.ts). Both go through the same roles, confirmation rule and audit trail.
import type { z } from "zod";
import type { AuditPage as AuditPageSchema, AuditQuery, Broadcast, Me, Message, PingResult as PingResultSchema, Teammate, Whoami } from "../../shared/api/index.ts";
import type { McpCallRecord } from "../../shared/api/mcp.ts";

export type AuditPage = z.infer<typeof AuditPageSchema>;
export type PingResult = z.infer<typeof PingResultSchema>;

export interface SendInput {
  to: string;
  message: string;
  session?: string | undefined;
  timeoutSec: number;
}

export interface BroadcastInput {
  message: string;
  session?: string | undefined;
  timeoutSec?: number | undefined;
}

export interface McpBackend {
  /** Which transport this is, for the audit trail. */
  readonly transport: "http" | "stdio";
  caller(): Promise<Me>;
  whoami(): Promise<Whoami>;
  teammates(): Promise<Teammate[]>;
  ping(to: string | undefined, timeoutSec: number | undefined): Promise<PingResult>;
  /** Sends one round and waits for its reply up to timeoutSec. */
  send(input: SendInput): Promise<Message>;
  getMessage(id: string): Promise<Message>;
  /** Asks the gateway for the replies of timed-out rounds (permission send). */
  lateReply(id: string): Promise<Message>;
  /** Creates a broadcast awaiting confirmation (never confirms it). */
  createBroadcast(input: BroadcastInput): Promise<Broadcast>;
  getBroadcast(id: string): Promise<Broadcast>;
  searchAudit(query: AuditQuery): Promise<AuditPage>;
  /** The dashboard's address of a page, e.g. `/broadcast/<id>`. */
  dashboardUrl(path: string): string;
  /** Writes one tool call to the audit trail, with the caller's key name as the actor. */
  record(call: McpCallRecord): Promise<void>;
}
