// Streamable HTTP at /mcp: the MCP SDK's web-standard handler (createMcpHandler, stateless: one
// server instance per request, serving the 2026-07-28 revision and 2025-era clients) behind
//   1. Host and Origin checks (DNS-rebinding protection, @modelcontextprotocol/hono): only the
//      host names of MESH_MCP_ALLOWED_HOSTS, and a browser Origin only from one of them;
//   2. an API key as `Authorization: Bearer` (the app's authenticate middleware already looked it
//      up; a session cookie is not enough: no browser page may drive the tools), else 401.
// The tools then run as that key (service-backend.ts).
// The SDK is loaded on the first request to /mcp, not at start-up: imported eagerly, it and the A2A
// SDK raised the idle server's RSS from ~148 to ~167 MB (bench/idle-rss.ts; goal 150, issue 9).
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import type { AppEnv } from "../auth/context.ts";
import type { Principal } from "../auth/types.ts";
import type { Services } from "../services.ts";
import type { McpHttpHandler } from "@modelcontextprotocol/server";

export const MCP_PATH = "/mcp";

function unauthenticated(c: Context<AppEnv>, message: string) {
  c.header("WWW-Authenticate", 'Bearer realm="team-mesh", error="invalid_token"');
  return c.json({ error: { code: "UNAUTHENTICATED", message } }, 401);
}

/** Where the dashboard is, as this request reached the server. */
export function dashboardOrigin(c: Context<AppEnv>, trustProxy: boolean): string {
  const url = new URL(c.req.url);
  if (trustProxy) {
    const proto = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim();
    const host = c.req.header("x-forwarded-host")?.split(",")[0]?.trim();
    return `${proto === "https" || proto === "http" ? proto : url.protocol.replace(":", "")}://${host || url.host}`;
  }
  return url.origin;
}

export function mcpRoutes(services: Services) {
  const { config } = services;
  const allowed = config.mcpAllowedHosts;
  let sdk: Promise<{ checks: MiddlewareHandler; handler: McpHttpHandler }> | null = null;
  const load = () =>
    (sdk ??= (async () => {
      const [{ hostHeaderValidation, originValidation }, { createMcpHandler }, { createMeshMcpServer }, { serviceBackend }] = await Promise.all([
        import("@modelcontextprotocol/hono"),
        import("@modelcontextprotocol/server"),
        import("./tools.ts"),
        import("./service-backend.ts"),
      ]);
      const handler = createMcpHandler(
        (ctx) => {
          const extra = ctx.authInfo?.extra as { principal: Principal; dashboardOrigin: string } | undefined;
          if (!extra) throw new Error("MCP request without a principal");
          return createMeshMcpServer(serviceBackend(services, extra.principal, { dashboardOrigin: extra.dashboardOrigin }));
        },
        { onerror: (err) => services.logger.warn({ err }, "MCP request failed") },
      );
      return { checks: every(hostHeaderValidation(allowed), originValidation(allowed)), handler };
    })());
  const app = new Hono<AppEnv>();
  app.use(MCP_PATH, async (c, next) => (await load()).checks(c, next));
  app.all(MCP_PATH, async (c) => {
    const principal = c.get("principal");
    if (c.req.header("authorization") === undefined) return unauthenticated(c, "Send an API key: Authorization: Bearer <api key>");
    if (!principal || c.get("authVia") !== "bearer") return unauthenticated(c, "The API key is invalid, expired or revoked");
    const authInfo = {
      token: "(api key)", // never handed to the tools
      clientId: principal.label,
      scopes: [],
      extra: { principal, dashboardOrigin: dashboardOrigin(c, config.trustProxy) },
    };
    const res = await (await load()).handler.fetch(c.req.raw, { authInfo });
    res.headers.set("Cache-Control", "no-store");
    return res;
  });
  return { app, close: async () => void (sdk && (await (await sdk).handler.close())) };
}
