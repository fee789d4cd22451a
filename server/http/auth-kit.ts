// What the routes of this folder need from authentication, in one small interface. app.ts
// builds it from the auth module (authenticate / requirePermission); routes never look at roles.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../auth/context.ts";
import type { Permission, Principal } from "../auth/types.ts";

export interface AuthKit {
  /** Sets c.var.principal or answers 401. */
  authenticate: MiddlewareHandler<AppEnv>;
  /** 403 FORBIDDEN unless the principal has at least one of these permissions. */
  require(...anyOf: Permission[]): MiddlewareHandler<AppEnv>;
  has(principal: Principal, permission: Permission): boolean;
  /** Authenticates a raw request (the WebSocket upgrade); null when it carries no valid credentials. */
  principalOf(req: Request): Promise<Principal | null>;
  /**
   * Is the credential of this (upgrade) request still valid? Same rules as principalOf, without
   * side effects (no sliding session expiry, no key last-use update): for re-checking an open
   * WebSocket.
   */
  recheck(req: Request): Principal | null;
}

export function principalOf(c: Context<AppEnv>): Principal {
  const p = c.get("principal");
  if (!p) throw new Error("route reached without a principal: authenticate() is missing");
  return p;
}
