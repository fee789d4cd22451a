// POST /api/v1/mcp/calls: the stdio bridge (`team-mesh mcp`) records each tool call it served, so
// that its calls stand in the audit trail like those of /mcp, under the key's own name (the
// actor is the authenticated key, never a name the client sends). Only API keys record calls.
import { createRoute } from "@hono/zod-openapi";
import { McpCallRecord, McpCallRecorded } from "../../shared/api/mcp.ts";
import { principalOf } from "../auth/middleware.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import { ApiError } from "../errors.ts";
import type { AuditLog } from "../audit/types.ts";

const json = <T extends typeof McpCallRecorded>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });

export function mcpCallRoutes(deps: { audit: AuditLog }) {
  return createRouter().openapi(
    createRoute({
      method: "post",
      path: "/mcp/calls",
      tags: ["mcp"],
      summary: "Record one MCP tool call served over stdio (team-mesh mcp) in the audit trail",
      request: { body: { content: { "application/json": { schema: McpCallRecord } }, required: true } },
      responses: { 201: json(McpCallRecorded, "Recorded"), ...errorResponses(400, 401, 403) },
    }),
    (c) => {
      const principal = principalOf(c);
      if (principal.kind !== "api_key") throw new ApiError("FORBIDDEN", "Only an API key records MCP calls");
      const call = c.req.valid("json");
      const entry = deps.audit.append({
        actor: principal.label,
        kind: "mcp",
        outcome: call.outcome,
        errorCode: call.errorCode ?? null,
        details: { tool: call.tool, transport: "stdio", ...(call.target ? { target: call.target } : {}) },
      });
      return c.json({ auditId: entry.id }, 201);
    },
  );
}
