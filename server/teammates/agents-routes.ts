// REST routes for the agents of a teammate's gateway (mounted under /api/v1):
//   GET  /teammates/{handle}/agents  the gateway's agents (agents.list + agent.identity.get), each
//                                    with the entry that already addresses it, if any
//   POST /teammates/{handle}/agents  one new entry per chosen agent, sharing the gateway's credentials
import { gatewayTargetOf } from "./gateway-target.ts";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AgentDiscovery, AgentsAdd, AgentsAdded, Teammate } from "../../shared/api/teammates.ts";
import { principalOf, requirePermission } from "../auth/middleware.ts";
import { ApiError } from "../errors.ts";
import { GatewayError, type GatewayConnector } from "../gateway/index.ts";
import { gatewayAddressKey } from "../gateway/url-policy.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import type { Registry } from "./types.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const HandleParam = z.object({ handle: z.string().min(1).max(200) });
const DISCOVERY_TIMEOUT_MS = 10_000;

export function agentsRoutes(deps: { registry: Registry; connector: GatewayConnector }) {
  const reg = deps.registry;
  const write = requirePermission("teammates:write");

  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/teammates/{handle}/agents",
        tags: ["teammates"],
        summary: "The agents of this teammate's gateway (connects with its credentials)",
        middleware: [write],
        request: { params: HandleParam },
        responses: { 200: json(AgentDiscovery, "Agents"), ...errorResponses(401, 403, 404, 409, 502, 503, 504) },
      }),
      async (c) => {
        const { handle } = c.req.valid("param");
        const rec = reg.byHandle(handle);
        if (!rec) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate with handle "${handle}"`, { handle });
        if (!rec.gatewayUrl) throw new ApiError("NO_ADDRESS", `"${rec.handle}" has no gateway address`, { handle: rec.handle });
        let agents;
        try {
          agents = await deps.connector.listAgents(gatewayTargetOf(rec, rec.gatewayUrl), { timeoutMs: DISCOVERY_TIMEOUT_MS });
        } catch (err) {
          const ge = err instanceof GatewayError ? err : new GatewayError("GATEWAY_ERROR", "Listing the gateway's agents failed.");
          throw new ApiError(ge.code, ge.message, ge.details);
        }
        const here = gatewayAddressKey(rec.gatewayUrl);
        const byAgent = new Map<string, string>();
        for (const t of reg.list()) if (t.gatewayUrl && gatewayAddressKey(t.gatewayUrl) === here && !byAgent.has(t.agentId)) byAgent.set(t.agentId, t.handle);
        return c.json(AgentDiscovery.parse({ gatewayUrl: rec.gatewayUrl, agents: agents.map((a) => ({ ...a, teammate: byAgent.get(a.agentId) ?? null })) }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/teammates/{handle}/agents",
        tags: ["teammates"],
        summary: "Add entries for other agents of this teammate's gateway (same address and credentials)",
        middleware: [write],
        request: { params: HandleParam, body: { content: { "application/json": { schema: AgentsAdd } }, required: true } },
        responses: { 201: json(AgentsAdded, "Created"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => {
        const recs = reg.addAgents(c.req.valid("param").handle, c.req.valid("json"), principalOf(c).label);
        return c.json({ items: recs.map((r) => Teammate.parse(reg.toApi(r))) }, 201);
      },
    );
}
