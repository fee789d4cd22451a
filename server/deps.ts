// The services one running server is made of, built once in main.ts (or a test) and handed
// to the route factories. Routes stay thin: validate with the shared schema, call a service.
import type { Config } from "./config.ts";
import type { Db } from "./db/connection.ts";
import type { Logger } from "./logger.ts";
import type { Vault } from "./vault/types.ts";
import type { AuditLog } from "./audit/types.ts";
import type { Registry } from "./teammates/types.ts";
import type { EventBus } from "./events/types.ts";
import type { GatewayConnector } from "./gateway/index.ts";

export interface CoreDeps {
  config: Config;
  db: Db;
  logger: Logger;
  vault: Vault;
  audit: AuditLog;
  registry: Registry;
  bus: EventBus;
  connector: GatewayConnector;
}
