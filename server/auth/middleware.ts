// Who is calling: session cookie or `Authorization: Bearer <api key>`. Sets c.get("principal").
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "./context.ts";
import { can, rolesWith } from "./permissions.ts";
import { authServiceOf, type AuthDeps } from "./deps.ts";
import { SESSION_COOKIE } from "./service.ts";
import type { Permission } from "./types.ts";

export const CSRF_HEADER = "X-Requested-With";
export const CSRF_VALUE = "team-mesh";

/** Paths answered without credentials (the app mounts the API under /api/v1). */
export const PUBLIC_API_PATHS = new Set(["/api/v1/auth/setup", "/api/v1/auth/login", "/api/v1/openapi.json"]);

/** Only /api/* needs a principal; health, metrics (own token check), docs and the web app do not. */
export function requiresAuth(path: string): boolean {
  if (!path.startsWith("/api/")) return false;
  if (path === "/api/docs" || path.startsWith("/api/docs/")) return false;
  return !PUBLIC_API_PATHS.has(path.replace(/\/+$/, ""));
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (fwd) return fwd;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function authenticate(deps: AuthDeps, opts: { requiresAuth?: (path: string) => boolean } = {}): MiddlewareHandler<AppEnv> {
  const needsAuth = opts.requiresAuth ?? requiresAuth;
  const auth = authServiceOf(deps);
  return async (c, next) => {
    const required = needsAuth(c.req.path);
    c.set("principal", undefined);
    c.set("authVia", undefined);
    const authz = c.req.header("authorization");
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
      const principal = m ? auth.keyPrincipal(m[1] as string) : null;
      if (principal) {
        c.set("principal", principal);
        c.set("authVia", "bearer");
      } else if (required) {
        throw new ApiError("UNAUTHENTICATED", "The API key is invalid, expired or revoked");
      }
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      const principal = token ? auth.sessionPrincipal(token) : null;
      if (principal) {
        c.set("principal", principal);
        c.set("authVia", "cookie");
        if (required && !SAFE_METHODS.has(c.req.method) && c.req.header(CSRF_HEADER) !== CSRF_VALUE) {
          throw new ApiError("CSRF_REJECTED", `State-changing requests with a session cookie must send the header ${CSRF_HEADER}: ${CSRF_VALUE}`);
        }
      }
    }
    if (required && !c.get("principal")) throw new ApiError("UNAUTHENTICATED", "Sign in first (session cookie or Authorization: Bearer <api key>)");
    await next();
  };
}

export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal) throw new ApiError("UNAUTHENTICATED", "Sign in first (session cookie or Authorization: Bearer <api key>)");
    if (!can(principal.role, permission)) {
      throw new ApiError("FORBIDDEN", `This needs the permission ${permission}, which role ${principal.role} does not have`, {
        needs: permission,
        roles: rolesWith(permission),
      });
    }
    await next();
  };
}

/** The principal of a route that ran requirePermission (or authenticate on a protected path). */
export function principalOf(c: Context<AppEnv>) {
  const p = c.get("principal");
  if (!p) throw new ApiError("UNAUTHENTICATED", "Sign in first");
  return p;
}
