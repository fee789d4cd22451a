// The teammate registry, assembled from its parts: lookups.ts (by handle/id, resolve, whoami),
// crud.ts (create/update/delete, token, setMe), status.ts (probe status → API shape, history),
// sync.ts (legacy import, sync, timer). Every change is audited; no credential is ever written
// to the audit trail, a log line or a response.
import { createAgentEntries } from "./agents.ts";
import { createContext, type RegistryOptions } from "./context.ts";
import { createCrud } from "./crud.ts";
import { createLookups } from "./lookups.ts";
import { createStatus } from "./status.ts";
import { createSync } from "./sync.ts";
import type { MeshRegistry } from "./types.ts";

export { MY_HANDLE_SETTING } from "./lookups.ts";
export { STATUS_HISTORY_KEEP } from "./queries.ts";
export { startSyncTimer } from "./sync.ts";
export { redactUrl, validateGatewayUrl } from "./url.ts";
export type { RegistryOptions } from "./context.ts";
export type { MeshRegistry } from "./types.ts";

export function createRegistry(opts: RegistryOptions): MeshRegistry {
  const ctx = createContext(opts);
  const lookups = createLookups(ctx);
  return {
    ...lookups.read,
    ...createCrud(ctx, lookups),
    ...createStatus(ctx, lookups),
    ...createSync(ctx, lookups),
    ...createAgentEntries(ctx, lookups),
  };
}
