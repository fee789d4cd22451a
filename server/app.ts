// Builds the Hono app from the routers; no listening (tests and main.ts call it).
import type { OpenAPIHono } from "@hono/zod-openapi";
import { compress } from "hono/compress";
import { secureHeaders } from "hono/secure-headers";
import { apiDocsRoutes } from "./api-docs/routes.ts";
import type { AuthKit } from "./http/auth-kit.ts";
import { apiKeysRoutes, authRoutes, usersRoutes } from "./auth/index.ts";
import { auditRoutes } from "./audit/index.ts";
import { teammatesRoutes } from "./teammates/index.ts";
import { agentsRoutes } from "./teammates/agents-routes.ts";
import { createAuthKit } from "./http/auth-adapter.ts";
import { requestBodyLimit as bodyLimitFor } from "../shared/limits.ts";
import { writeBatchOf } from "./db/write-batch.ts";
import { brotli, compressible } from "./http/brotli.ts";
import { accessLog, durableWrites, errorHandler, jsonContentLength, notFound, requestBodyLimit, requestId, shutdownGate } from "./http/middleware.ts";
import { staticRoutes } from "./http/static.ts";
import { systemRoutes } from "./http/system-routes.ts";
import { createRouter } from "./http/router.ts";
import type { AppEnv } from "./auth/context.ts";
import { messagingRoutes } from "./messaging/routes.ts";
import { a2aRoutes } from "./a2a/http.ts";
import { mcpRoutes } from "./mcp/http.ts";
import { mcpCallRoutes } from "./mcp/routes.ts";
import { templatesRoutes } from "./templates/routes.ts";
import { schedulesRoutes } from "./schedules/routes.ts";
import { mountOpenApi } from "./openapi.ts";
import type { Services } from "./services.ts";

export interface AppOptions {
  /** True once shutdown began: new API requests get 503 SHUTTING_DOWN. */
  isShuttingDown?: () => boolean;
  /** Override authentication (tests of this module only). */
  auth?: AuthKit;
  /** Serve web/dist (default true). */
  serveWeb?: boolean;
}

export interface BuiltApp {
  app: AppType;
  auth: AuthKit;
}

/**
 * The events socket's ws:/wss: origin for connect-src; a Host that is no plain host[:port] gets
 * none (only 'self').
 */
export function eventsSocketSources(host: string | undefined): string {
  return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? `ws://${host} wss://${host}` : "";
}

/**
 * Hono's secure headers. The dashboard and API reference load only this server's files: no inline
 * or foreign script, fetch and the events socket only to this host, never framed. Inline styles
 * stay allowed (Solid and Swagger UI set style attributes); scripts are what an injected reply
 * could abuse. HSTS is left to the TLS proxy in front (the server itself speaks plain HTTP).
 */
const securityHeaders = () =>
  secureHeaders({
    overwrite: false, // a route that sets its own policy keeps it
    xFrameOptions: "DENY",
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'", "data:"],
      connectSrc: ["'self'", (c) => eventsSocketSources(c.req.header("host"))],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });

export function buildApp(services: Services, opts: AppOptions = {}): BuiltApp {
  const kit = createAuthKit(services);
  const auth = opts.auth ?? kit;
  const app = createRouter();
  app.onError(errorHandler(services.logger));
  app.notFound(notFound);
  app.use("*", requestId());
  // before anything that may refuse the request, so refusals (401, 413, 503) carry them too:
  // never rendered inside another site's frame (clickjacking of Confirm / Delete buttons), no
  // sniffing, no referrer
  app.use("*", securityHeaders());
  app.use("/api/*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  // JSON answers and exports above 8 KiB, brotli, gzip or deflate as the client accepts (static files
  // arrive compressed already, see static.ts; the middleware leaves those alone). Below that the
  // bytes saved are few and the CPU is not: a single send's answer is ~1-2 KiB, and compressing
  // it was 8 % of a send's CPU.
  app.use("*", compress({ threshold: 8 * 1024, contentTypeFilter: compressible }));
  app.use("*", brotli({ threshold: 8 * 1024 })); // inside compress(): br when accepted, see brotli.ts
  app.use("*", jsonContentLength());
  app.use("*", accessLog(services.logger, services.metrics.observeRequest));
  app.use("*", shutdownGate(opts.isShuttingDown ?? (() => false)));
  app.use("*", requestBodyLimit(bodyLimitFor(services.config.msgHardLimit)));
  app.use("*", durableWrites(writeBatchOf(services.db.$client), services.logger));
  app.use("*", kit.global);

  // MCP over Streamable HTTP (server/mcp/): before the web app's catch-all
  app.route("/", mcpRoutes(services).app);
  // A2A 1.0 (server/a2a/): the Agent Card and the JSON-RPC endpoint /a2a
  app.route("/", a2aRoutes(services));
  const api = mountApi(app, services, auth);
  mountOpenApi(api);
  app.route("/", apiDocsRoutes());
  if (opts.serveWeb !== false) app.route("/", staticRoutes());
  return { app: api, auth };
}

/** The API routes, mounted in one chain so that their types add up to AppType. */
function mountApi(app: OpenAPIHono<AppEnv>, services: Services, auth: AuthKit) {
  return app
    .route("/", systemRoutes({ config: services.config, db: services.db, metrics: services.metrics, auth, isOpen: services.isOpen }))
    .route("/api/v1", authRoutes(services))
    .route("/api/v1", usersRoutes(services))
    .route("/api/v1", apiKeysRoutes(services))
    .route("/api/v1", teammatesRoutes(services))
    .route("/api/v1", agentsRoutes(services))
    .route("/api/v1", auditRoutes(services))
    .route("/api/v1", mcpCallRoutes(services))
    .route(
      "/api/v1",
      messagingRoutes({
        auth,
        db: services.db,
        registry: services.registry,
        messages: services.messages,
        broadcasts: services.broadcasts,
        presence: services.presence,
      }),
    )
    .route("/api/v1", templatesRoutes({ db: services.db, registry: services.registry, audit: services.audit }))
    .route("/api/v1", schedulesRoutes({ schedules: services.schedules }));
}

/**
 * The type of the whole REST API (every route with its input and output): the clients build on it
 * with `hc<AppType>` from hono/client, importing it as a type only (no server code in a bundle).
 */
export type AppType = ReturnType<typeof mountApi>;
