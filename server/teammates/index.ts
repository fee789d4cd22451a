export { createRegistry, startSyncTimer, validateGatewayUrl, redactUrl, MY_HANDLE_SETTING, STATUS_HISTORY_KEEP, type MeshRegistry, type RegistryOptions } from "./registry.ts";
export { parseLegacyRegistry, tokensByHandle, fillPattern, DEFAULT_GATEWAY_URL_PATTERN, type LegacyTeammate } from "./legacy.ts";
export { teammatesRoutes } from "./routes.ts";
export type { Registry, TeammateRecord } from "./types.ts";
