// The MCP server's tool names and the record of one tool call that the stdio bridge
// (`team-mesh mcp`) reports to POST /api/v1/mcp/calls, so that its calls are audited like the
// HTTP transport's (server/mcp/).
import { z } from "zod";

export const MCP_TOOLS = ["whoami", "list_teammates", "ping", "send", "get_message", "prepare_broadcast", "get_broadcast", "search_audit"] as const;
export const McpTool = z.enum(MCP_TOOLS);
export type McpTool = z.infer<typeof McpTool>;

export const McpCallRecord = z.object({
  tool: McpTool,
  outcome: z.enum(["ok", "failed"]),
  /** The error code of a failed call. */
  errorCode: z.string().max(64).optional(),
  /** What the call was about: a handle, a message or broadcast id (never a message text). */
  target: z.string().max(200).optional(),
});
export type McpCallRecord = z.infer<typeof McpCallRecord>;

export const McpCallRecorded = z.object({ auditId: z.number().int() });
