// OpenAPIHono routers for the auth, audit and registry route factories: a request that fails its
// schema becomes 400 VALIDATION_FAILED (ApiError) whatever app the router is mounted in.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./context.ts";

export function validationFailed(result: { success: boolean; error?: unknown; target?: string }): void {
  if (result.success) return;
  const err = result.error as z.ZodError | undefined;
  const issues = err && Array.isArray(err.issues) ? err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })) : [];
  throw new ApiError("VALIDATION_FAILED", `Invalid request${result.target ? ` ${result.target}` : ""}`, { target: result.target, issues });
}

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationFailed });
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
