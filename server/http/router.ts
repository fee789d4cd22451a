// The one router factory: every route factory (and the root app) builds its OpenAPIHono with
// createRouter(), so a request that fails its schema becomes 400 VALIDATION_FAILED (ApiError,
// validation.ts) whatever app the router is mounted in.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../auth/context.ts";
import { validationHook } from "./validation.ts";

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** Shared error response docs for createRoute. */
export function errorResponses(...statuses: number[]): Record<number, { description: string }> {
  const names: Record<number, string> = {
    400: "Invalid request",
    401: "Not signed in",
    403: "Missing permission",
    404: "Not found",
    409: "Conflict",
    429: "Too many attempts",
    502: "Upstream failed",
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: names[s] ?? "Error" }]));
}
