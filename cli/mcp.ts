// `team-mesh mcp`: the Team Mesh MCP server on standard input/output, for MCP clients that start
// their servers as a command. The tools are the server's own (server/mcp/tools.ts); here they
// call the REST API through the typed client as MESH_API_KEY, so the server applies the key's
// role, the confirmation rule and the audit trail exactly as for the dashboard, and each tool
// call is recorded in the trail (POST /mcp/calls). Standard output carries only MCP messages.
import type * as Api from "../shared/api/index.ts";
import type { McpCallRecord } from "../shared/api/mcp.ts";
import { bodyOf } from "../shared/api/fetch.ts";
import type { McpBackend } from "../server/mcp/backend.ts";
import { newIdempotencyKey, type ApiClient } from "./client.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { CliIO } from "./io.ts";

export function restBackend(client: ApiClient): McpBackend {
  const api = client.api;
  const dashboard = `${client.baseUrl.origin}${client.baseUrl.pathname.replace(/\/+$/, "")}`;
  return {
    transport: "stdio",
    caller: async () => bodyOf(await api.auth.me.$get({}, client.opts())),
    whoami: async () => bodyOf(await api.whoami.$get({}, client.opts())),
    teammates: async () => (await bodyOf(await api.teammates.$get({ query: {} }, client.opts()))).items,
    async ping(to, timeoutSec) {
      const json: { to?: string; timeoutSec?: number } = {};
      if (to) json.to = to;
      if (timeoutSec) json.timeoutSec = timeoutSec;
      return bodyOf(await api.ping.$post({ json }, client.opts({ timeoutMs: 180_000 })));
    },
    async send(input) {
      const json = { to: input.to, message: input.message, session: input.session, rounds: 1, timeoutSec: input.timeoutSec, wait: true, dryRun: false };
      const res = await api.messages.$post({ json, header: { "idempotency-key": newIdempotencyKey() } }, client.opts({ timeoutMs: (input.timeoutSec + 60) * 1000 }));
      const body = await bodyOf(res);
      if (!("exchanges" in body)) throw Object.assign(new Error("The server did not wait for the reply"), { code: "BAD_RESPONSE" });
      return body;
    },
    getMessage: async (id) => bodyOf(await api.messages[":id"].$get({ param: { id } }, client.opts())),
    lateReply: async (id) => bodyOf(await api.messages[":id"]["late-reply"].$post({ param: { id } }, client.opts())),
    async createBroadcast(input) {
      const json = { message: input.message, session: input.session, timeoutSec: input.timeoutSec, dryRun: false };
      const body = await bodyOf(await api.broadcasts.$post({ json, header: { "idempotency-key": newIdempotencyKey() } }, client.opts()));
      if (!("id" in body)) throw Object.assign(new Error("The server answered with a preview"), { code: "BAD_RESPONSE" });
      return body as Api.Broadcast;
    },
    getBroadcast: async (id) => bodyOf(await api.broadcasts[":id"].$get({ param: { id } }, client.opts())),
    async searchAudit(q) {
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(q)) {
        if (v === undefined) continue;
        query[k] = Array.isArray(v) ? v.join(",") : String(v);
      }
      return bodyOf(await api.audit.$get({ query }, client.opts()));
    },
    dashboardUrl: (path) => `${dashboard}${path}`,
    async record(call: McpCallRecord) {
      await bodyOf(await api.mcp.calls.$post({ json: call }, client.opts()));
    },
  };
}

/** Serves until the MCP client closes standard input. */
export async function runMcp(client: ApiClient, io: CliIO): Promise<ExitCode> {
  const [{ serveStdio }, { createMeshMcpServer }] = await Promise.all([import("@modelcontextprotocol/server/stdio"), import("../server/mcp/tools.ts")]);
  const backend = restBackend(client);
  await new Promise<void>((resolve) => {
    const handle = serveStdio(() => createMeshMcpServer(backend), { onerror: (err) => io.stderr(`team-mesh mcp: ${err.message}`) });
    process.stdin.once("end", () => void handle.close().finally(resolve));
    process.stdin.once("close", () => void handle.close().finally(resolve));
  });
  return EXIT.OK;
}
