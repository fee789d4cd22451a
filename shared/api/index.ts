// Request and response shapes of REST API v1, defined once for server, web and CLI.
export * from "./common.ts";
export * from "./teammates.ts";
export * from "./messages.ts";
export * from "./broadcasts.ts";
export * from "./audit.ts";
export * from "./auth.ts";
export * from "./events.ts";
