// Where A2A is served (no SDK import here: http.ts routes with these before the SDK is loaded).
export const A2A_RPC_PATH = "/a2a";
export const AGENT_CARD_PATH = "/.well-known/agent-card.json";
