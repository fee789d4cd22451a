// What the auth middleware and routes need. The app hands its service bundle (CoreDeps) as is;
// the AuthService is built once per database (or passed in, e.g. by a test with a fake clock).
import type { AuditLog } from "../audit/types.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db/connection.ts";
import type { Logger } from "../logger.ts";
import { createAuthService, type AuthService } from "./service.ts";

export interface AuthDeps {
  db: Db;
  config: Pick<Config, "adminPassword" | "secureCookies" | "trustProxy">;
  audit: Pick<AuditLog, "append">;
  logger?: Pick<Logger, "warn" | "info">;
  auth?: AuthService;
}

const services = new WeakMap<Db, AuthService>();

/**
 * The auth service of these deps. The first call per database also runs first-start setup:
 * it creates `admin` from MESH_ADMIN_PASSWORD, or logs the one-time setup code at warn level.
 */
export function authServiceOf(deps: AuthDeps): AuthService {
  if (deps.auth) return deps.auth;
  let svc = services.get(deps.db);
  if (!svc) {
    svc = createAuthService({ db: deps.db, config: deps.config, audit: deps.audit, logger: deps.logger });
    services.set(deps.db, svc);
    svc.bootstrap();
  }
  return svc;
}
