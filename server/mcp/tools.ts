// The MCP server of Team Mesh: one McpServer per connection (stdio) or request (HTTP) with its
// eight tools over a backend (backend.ts). Every tool answers with structuredContent (checked
// against its output schema) plus readable text; a refusal (role, unknown teammate, ...) is a tool
// error with the API's error code. Every call, answered or refused, is written to the audit trail.
import { McpServer, type CallToolResult } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { McpTool } from "../../shared/api/mcp.ts";
import { roleCan } from "../../shared/permissions.ts";
import type { Broadcast, Message } from "../../shared/api/index.ts";
import type { McpBackend } from "./backend.ts";
import { auditText, broadcastText, messageText, teammatesText, whoamiText } from "./format.ts";
import {
  AuditSearchInput,
  AuditSearchOutput,
  BroadcastInput,
  BroadcastOutput,
  Empty,
  IdInput,
  MessageOutput,
  PingInput,
  PingOutput,
  SendInput,
  TeammatesOutput,
  WhoamiOutput,
} from "./schemas.ts";

/** The MCP protocol revision this server is built for (the SDK also answers 2025-era clients). */
export const MCP_SPEC_REVISION = "2026-07-28";

export const SERVER_INFO = { name: "team-mesh", title: "Team Mesh", version: "0.1.0" };

const INSTRUCTIONS =
  "Team Mesh connects you to your team's OpenClaw agents. list_teammates shows who is there; send messages one of them and waits " +
  "for the reply (on a timeout, poll get_message with the id); prepare_broadcast only prepares a message to everyone, which a person " +
  "confirms in the dashboard.";

interface Answer<T> {
  data: T;
  text: string;
  target?: string | undefined;
}

const FINISHED = new Set(["queued", "sending"]);

function errorOf(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? e.code : "FAILED";
  return { code, message: typeof e?.message === "string" ? e.message : String(err) };
}

/** A message answer: replied, or the id and the call to poll for the reply. */
function messageAnswer(m: Message): Answer<z.infer<typeof MessageOutput>> {
  const replied = m.exchanges.some((e) => e.reply !== null) && m.status === "replied";
  const pending = FINISHED.has(m.status) || m.status === "timeout" || m.status === "cancelled_after_send";
  const poll = !replied && pending ? `No reply yet: call get_message with id "${m.id}" later to fetch a late reply.` : null;
  return { data: { message: m, replied, poll }, text: messageText(m, poll), target: m.id };
}

/** The agent never sees a confirmation token: a person confirms, in the dashboard. */
function broadcastAnswer(backend: McpBackend, b: Broadcast): Answer<z.infer<typeof BroadcastOutput>> {
  const broadcast = { ...b, confirmationToken: null };
  const dashboardUrl = backend.dashboardUrl(`/broadcast/${encodeURIComponent(b.id)}`);
  return { data: { broadcast, dashboardUrl, awaitingConfirmation: b.state === "awaiting_confirmation" }, text: broadcastText(broadcast, dashboardUrl), target: b.id };
}

export function createMeshMcpServer(backend: McpBackend): McpServer {
  const server = new McpServer(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });

  /** Runs a tool: answer or tool error, and one audit entry either way. */
  async function call<T extends Record<string, unknown>>(tool: McpTool, target: string | undefined, run: () => Promise<Answer<T>>): Promise<CallToolResult> {
    try {
      const answer = await run();
      await backend.record({ tool, outcome: "ok", ...((answer.target ?? target) ? { target: (answer.target ?? target)?.slice(0, 200) } : {}) });
      return { content: [{ type: "text", text: answer.text }], structuredContent: answer.data };
    } catch (err) {
      const { code, message } = errorOf(err);
      await backend.record({ tool, outcome: "failed", errorCode: code.slice(0, 64), ...(target ? { target: target.slice(0, 200) } : {}) }).catch(() => undefined);
      return { isError: true, content: [{ type: "text", text: `${message} [${code}]` }] };
    }
  }

  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  server.registerTool(
    "whoami",
    { title: "Who am I", description: "The caller (API key name and role) and this dashboard's own agent.", inputSchema: Empty, outputSchema: WhoamiOutput, annotations: readOnly },
    () =>
      call("whoami", undefined, async () => {
        const [caller, agent] = await Promise.all([backend.caller(), backend.whoami()]);
        return { data: { caller, agent }, text: whoamiText(caller, agent) };
      }),
  );

  server.registerTool(
    "list_teammates",
    { title: "List teammates", description: "Every teammate with its last known status (no probing).", inputSchema: Empty, outputSchema: TeammatesOutput, annotations: readOnly },
    () =>
      call("list_teammates", undefined, async () => {
        const items = await backend.teammates();
        return { data: { items }, text: teammatesText(items) };
      }),
  );

  server.registerTool(
    "ping",
    {
      title: "Ping",
      description: "Probe one teammate's gateway (to: handle or name) or everyone's now, and return the fresh statuses.",
      inputSchema: PingInput,
      outputSchema: PingOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args) =>
      call("ping", args.to, async () => {
        const r = await backend.ping(args.to, args.timeoutSec);
        return { data: r, text: teammatesText(r.teammates) };
      }),
  );

  server.registerTool(
    "send",
    {
      title: "Send a message",
      description:
        "Send a message to one teammate's agent and wait up to timeoutSec for its reply. Without a reply by then, the answer carries the message id: poll get_message for the late reply.",
      inputSchema: SendInput,
      outputSchema: MessageOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args) => call("send", args.to, async () => messageAnswer(await backend.send(args))),
  );

  server.registerTool(
    "get_message",
    {
      title: "Get a message",
      description: "A message's status and replies; a round that timed out is asked for its late reply.",
      inputSchema: IdInput,
      outputSchema: MessageOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args) =>
      call("get_message", args.id, async () => {
        let m = await backend.getMessage(args.id);
        const late = m.exchanges.some((e) => (e.status === "timeout" || (e.status === "cancelled_after_send" && e.reply === null)) && e.runId);
        if (late && roleCan((await backend.caller()).role, "send")) m = await backend.lateReply(args.id);
        return messageAnswer(m);
      }),
  );

  server.registerTool(
    "prepare_broadcast",
    {
      title: "Prepare a broadcast",
      description:
        "Prepare a message to every teammate (except this dashboard's own agent). Nothing is sent: the answer lists the recipients and a dashboard link where a person with the operator or admin role confirms it.",
      inputSchema: BroadcastInput,
      outputSchema: BroadcastOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args) => call("prepare_broadcast", undefined, async () => broadcastAnswer(backend, await backend.createBroadcast(args))),
  );

  server.registerTool(
    "get_broadcast",
    { title: "Get a broadcast", description: "A broadcast's state, recipients and replies.", inputSchema: IdInput, outputSchema: BroadcastOutput, annotations: readOnly },
    (args) => call("get_broadcast", args.id, async () => broadcastAnswer(backend, await backend.getBroadcast(args.id))),
  );

  server.registerTool(
    "search_audit",
    {
      title: "Search the audit trail",
      description: "Audit entries, newest first, filtered by teammate, actor, kind, outcome, time or full text (q). Needs the auditor, operator or admin role.",
      inputSchema: AuditSearchInput,
      outputSchema: AuditSearchOutput,
      annotations: readOnly,
    },
    (args) =>
      call("search_audit", args.teammate, async () => {
        const page = await backend.searchAudit(args);
        return { data: page, text: auditText(page) };
      }),
  );

  return server;
}
