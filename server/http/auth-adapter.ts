// Adapts the auth module (server/auth) to the AuthKit the routes here use. The auth module's
// `authenticate` runs once for every request (app.ts); routes then ask for permissions.
import { Hono, type MiddlewareHandler } from "hono";
import {
  authenticate,
  authServiceOf,
  can,
  credentialOf,
  principalOfCredential,
  requirePermission,
  rolesWith,
  type AppEnv,
  type AuthDeps,
  type Permission,
  type Principal,
} from "../auth/index.ts";
import { ApiError } from "../errors.ts";
import type { AuthKit } from "./auth-kit.ts";

export function createAuthKit(deps: AuthDeps): AuthKit & { global: MiddlewareHandler<AppEnv> } {
  const global = authenticate(deps);
  // A tiny app that only authenticates: used for the WebSocket upgrade request.
  const probe = new Hono<AppEnv>();
  probe.use("*", authenticate(deps, { requiresAuth: () => true }));
  probe.get("*", (c) => c.json(c.get("principal") ?? null));
  probe.onError((err, c) => c.json({ error: err.message }, 401));
  const ensure: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!c.get("principal")) throw new ApiError("UNAUTHENTICATED", "Sign in first (session cookie or Authorization: Bearer <api key>)");
    await next();
  };
  return {
    global,
    authenticate: ensure,
    require(...anyOf: Permission[]): MiddlewareHandler<AppEnv> {
      const [first] = anyOf;
      if (anyOf.length === 1 && first) return requirePermission(first);
      return async (c, next) => {
        const p = c.get("principal");
        if (!p) throw new ApiError("UNAUTHENTICATED", "Sign in first (session cookie or Authorization: Bearer <api key>)");
        if (!anyOf.some((perm) => can(p.role, perm))) {
          throw new ApiError("FORBIDDEN", `This needs one of the permissions ${anyOf.join(", ")}, which role ${p.role} does not have`, {
            needs: anyOf.join(" or "),
            roles: [...new Set(anyOf.flatMap((perm) => rolesWith(perm)))],
          });
        }
        await next();
      };
    },
    has: (p, perm) => can(p.role, perm),
    async principalOf(req) {
      const res = await probe.fetch(req);
      if (res.status !== 200) return null;
      return (await res.json()) as Principal | null;
    },
    recheck: (req) =>
      principalOfCredential(authServiceOf(deps), credentialOf(req.headers.get("authorization"), req.headers.get("cookie")), { touch: false }),
  };
}
