// Who is calling: session cookie or `Authorization: Bearer <api key>`. Sets c.get("principal").
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { parse as parseCookies } from "hono/utils/cookie";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./context.ts";
import { can, rolesWith } from "./permissions.ts";
import { authServiceOf, type AuthDeps } from "./deps.ts";
import { SESSION_COOKIE, type AuthService } from "./service.ts";
import type { Permission, Principal } from "./types.ts";

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

/**
 * What a session whose user must still replace a one-time password may call; every other API
 * path answers 403 PASSWORD_CHANGE_REQUIRED. API keys are not limited: a user creates their own
 * keys, which needs a session that already passed this step.
 */
export const PASSWORD_CHANGE_PATHS = new Set(["/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/auth/me"]);

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The client's address. Behind a trusted proxy (MESH_TRUST_PROXY) it is the LAST X-Forwarded-For
 * entry: the one the proxy appended. Earlier entries come from the client itself and may be
 * anything, so taking the first would let a caller pick a fresh "IP" per login attempt (no rate
 * limit) and write a forged address into the audit trail.
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const hops = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
    const last = hops[hops.length - 1];
    if (last) return last.slice(0, 100);
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The credential a request carries: `Authorization: Bearer <key>` when that header is present
 * (key null when it is not a bearer header), else the session cookie, else none.
 */
export type Credential = { via: "bearer"; key: string | null } | { via: "cookie"; token: string } | null;

export function credentialOf(authorization: string | null | undefined, cookieHeader: string | null | undefined): Credential {
  if (authorization !== undefined && authorization !== null) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return { via: "bearer", key: m ? (m[1] as string) : null };
  }
  const token = cookieHeader ? parseCookies(cookieHeader, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
  return token ? { via: "cookie", token } : null;
}

/** The principal of a credential (null: none, unknown, expired or revoked). */
export function principalOfCredential(auth: AuthService, cred: Credential, opts: { touch?: boolean } = {}): Principal | null {
  if (!cred) return null;
  if (cred.via === "bearer") return cred.key ? auth.keyPrincipal(cred.key, opts) : null;
  return auth.sessionPrincipal(cred.token, opts);
}

export function authenticate(deps: AuthDeps, opts: { requiresAuth?: (path: string) => boolean } = {}): MiddlewareHandler<AppEnv> {
  const needsAuth = opts.requiresAuth ?? requiresAuth;
  const auth = authServiceOf(deps);
  return async (c, next) => {
    const required = needsAuth(c.req.path);
    c.set("principal", undefined);
    c.set("authVia", undefined);
    const cred = credentialOf(c.req.header("authorization"), c.req.header("cookie"));
    if (cred?.via === "bearer") {
      const principal = principalOfCredential(auth, cred);
      if (principal) {
        c.set("principal", principal);
        c.set("authVia", "bearer");
      } else if (required) {
        throw new ApiError("UNAUTHENTICATED", "The API key is invalid, expired or revoked");
      }
    } else {
      const principal = principalOfCredential(auth, cred);
      if (principal) {
        c.set("principal", principal);
        c.set("authVia", "cookie");
        if (required && !SAFE_METHODS.has(c.req.method) && c.req.header(CSRF_HEADER) !== CSRF_VALUE) {
          throw new ApiError("CSRF_REJECTED", `State-changing requests with a session cookie must send the header ${CSRF_HEADER}: ${CSRF_VALUE}`);
        }
        if (required && principal.mustChangePassword && !PASSWORD_CHANGE_PATHS.has(c.req.path.replace(/\/+$/, ""))) {
          throw new ApiError("PASSWORD_CHANGE_REQUIRED", "Choose a new password first: your password was set by an admin (POST /api/v1/auth/password with currentPassword and newPassword)");
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
