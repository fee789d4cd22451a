// The Hono environment of every request: who is calling (set by `authenticate`) and the request id.
import type { Principal } from "./types.ts";

export interface AppEnv {
  Variables: {
    principal: Principal | undefined;
    requestId: string;
    /** How the principal authenticated (CSRF applies to cookie sessions only). */
    authVia: "cookie" | "bearer" | undefined;
  };
}
