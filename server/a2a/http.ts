// A2A 1.0 routes: the Agent Card at /.well-known/agent-card.json and JSON-RPC at /a2a. The
// handlers (endpoint.ts) and the A2A SDK load on the first request, not at start-up: imported
// eagerly, they and the MCP SDK raised the idle server's RSS from ~148 to ~167 MB
// (bench/idle-rss.ts; goal 150, issue 9).
import { Hono } from "hono";
import type { AppEnv } from "../auth/context.ts";
import type { Services } from "../services.ts";
import type { a2aEndpoint } from "./endpoint.ts";
import { A2A_RPC_PATH, AGENT_CARD_PATH } from "./paths.ts";

export function a2aRoutes(services: Services) {
  let endpoint: Promise<ReturnType<typeof a2aEndpoint>> | null = null;
  const load = () => (endpoint ??= import("./endpoint.ts").then((m) => m.a2aEndpoint(services)));
  return new Hono<AppEnv>()
    .get(AGENT_CARD_PATH, async (c) => (await load()).card(c))
    .post(A2A_RPC_PATH, async (c) => (await load()).rpc(c))
    .all(A2A_RPC_PATH, (c) => c.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "A2A JSON-RPC takes POST" } }, 405, { Allow: "POST" }));
}
