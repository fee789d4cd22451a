// The OpenAPI 3.1 document at /api/v1/openapi.json, generated from the zod routes mounted on the
// app (ours and the other modules'), with the two ways to authenticate as security schemes.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env, Schema } from "hono";
import { VERSION } from "./http/system-routes.ts";

export const OPENAPI_PATH = "/api/v1/openapi.json";

export function mountOpenApi<E extends Env, S extends Schema>(app: OpenAPIHono<E, S>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "cookie", {
    type: "apiKey",
    in: "cookie",
    name: "mesh_session",
    description: "Session cookie from /api/v1/auth/login. State-changing requests also need `X-Requested-With: team-mesh`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key created at /api/v1/api-keys",
  });
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "Team Mesh API",
      version: VERSION,
      description: "Talk to your teammates' OpenClaw agents. Errors: {\"error\": {code, message, details}}.",
    },
    servers: [{ url: "/" }],
    security: [{ cookie: [] }, { bearer: [] }],
  });
}
