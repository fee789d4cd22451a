export type { AppEnv } from "./context.ts";
export type { CredentialRevocation, Principal, Permission } from "./types.ts";
export { can, can as hasPermission, rolesWith, ROLE_PERMISSIONS, ALL_PERMISSIONS } from "./permissions.ts";
export { hashPassword, verifyPassword } from "./passwords.ts";
export { createLoginLimiter, type LoginLimiter } from "./rate-limit.ts";
export { createAuthService, SESSION_COOKIE, SESSION_TTL_MS, sha256Hex, type AuthService, type AuthServiceOptions, type SignedIn } from "./service.ts";
export {
  authenticate,
  requirePermission,
  requiresAuth,
  principalOf,
  clientIp,
  credentialOf,
  principalOfCredential,
  CSRF_HEADER,
  CSRF_VALUE,
  PUBLIC_API_PATHS,
  type Credential,
} from "./middleware.ts";
export { authRoutes, sessionRoutes, usersRoutes, apiKeysRoutes, toMe, type AuthRouteDeps } from "./routes.ts";
export { authServiceOf, type AuthDeps } from "./deps.ts";
