// /healthz, /readyz, /metrics and /api/v1/config.
import { timingSafeEqual, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ErrorBody } from "../../shared/api/common.ts";
import { ROUNDS_MAX, TIMEOUT_SEC_DEFAULT, TIMEOUT_SEC_MAX } from "../../shared/limits.ts";
import type { Config } from "../config.ts";
import { migrationsApplied, MIGRATIONS_DIR, type Db } from "../db/connection.ts";
import type { Metrics } from "../metrics/index.ts";
import type { AuthKit } from "./auth-kit.ts";
import { createRouter } from "./router.ts";
import { APP_ROOT } from "../app-root.ts";

export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(APP_ROOT, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

export const ConfigInfo = z.object({
  msgSoftLimit: z.number().int(),
  msgHardLimit: z.number().int(),
  roundsMax: z.number().int(),
  timeoutSecMax: z.number().int(),
  timeoutSecDefault: z.number().int(),
  syncConfigured: z.boolean(),
  fallbackConfigured: z.boolean(),
  version: z.string(),
});

const Ready = z.object({ ok: z.boolean(), db: z.boolean(), migrations: z.object({ applied: z.number().int(), expected: z.number().int() }) });

function expectedMigrations(): number {
  try {
    const journal = JSON.parse(readFileSync(`${MIGRATIONS_DIR}/meta/_journal.json`, "utf8")) as { entries: unknown[] };
    return journal.entries.length;
  } catch {
    return 0;
  }
}

// typed up front: an inline [{ cookie: [] }] (never[]) breaks the route's type inference
const security: Record<string, string[]>[] = [{ cookie: [] }, { bearer: [] }];

const sha = (s: string) => createHash("sha256").update(s).digest();

export function systemRoutes(deps: { config: Config; db: Db; metrics: Metrics; auth: AuthKit; isOpen(): boolean }) {
  const expected = expectedMigrations();
  // /metrics: the bearer MESH_METRICS_TOKEN, else an authenticated caller with metrics:read.
  const metricsToken = deps.config.metricsToken;
  const metricsGuard: MiddlewareHandler = async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (metricsToken && m?.[1] && timingSafeEqual(sha(m[1]), sha(metricsToken))) return next();
    return deps.auth.authenticate(c, async () => {
      await deps.auth.require("metrics:read")(c, next);
    });
  };

  const app = createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/healthz",
        tags: ["system"],
        summary: "The process is alive",
        responses: { 200: { content: { "application/json": { schema: z.object({ ok: z.literal(true) }) } }, description: "Alive" } },
      }),
      (c) => c.json({ ok: true as const }, 200),
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/readyz",
        tags: ["system"],
        summary: "Database open and migrations applied",
        responses: {
          200: { content: { "application/json": { schema: Ready } }, description: "Ready" },
          503: { content: { "application/json": { schema: Ready } }, description: "Not ready" },
        },
      }),
      (c) => {
        let db = false;
        let applied = 0;
        try {
          if (deps.isOpen()) {
            deps.db.$client.prepare("select 1").get();
            db = true;
            applied = migrationsApplied(deps.db);
          }
        } catch {
          db = false;
        }
        const ok = db && applied >= expected;
        return c.json(Ready.parse({ ok, db, migrations: { applied, expected } }), ok ? 200 : 503);
      },
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/api/v1/config",
        tags: ["system"],
        summary: "Limits and features the clients need",
        security,
        middleware: [deps.auth.authenticate] as const,
        responses: {
          200: { content: { "application/json": { schema: ConfigInfo } }, description: "Client configuration" },
          401: { content: { "application/json": { schema: ErrorBody } }, description: "Not signed in" },
        },
      }),
      (c) =>
        c.json(
          ConfigInfo.parse({
            msgSoftLimit: deps.config.msgSoftLimit,
            msgHardLimit: deps.config.msgHardLimit,
            roundsMax: ROUNDS_MAX,
            timeoutSecMax: TIMEOUT_SEC_MAX,
            timeoutSecDefault: TIMEOUT_SEC_DEFAULT,
            syncConfigured: Boolean(deps.config.registryUrl),
            fallbackConfigured: Boolean(deps.config.fallbackWebhookUrl),
            version: VERSION,
          }),
          200,
        ),
    );
  // plain text, not part of the typed API (a chained .get would turn the router into a plain Hono)
  app.get("/metrics", metricsGuard, async (c) => c.body(await deps.metrics.text(), 200, { "Content-Type": deps.metrics.contentType }));
  return app;
}
