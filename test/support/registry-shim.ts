// TEMPORARY: a hand-made registry for the integration tests until server/teammates lands.
import { makeRegistry } from "../unit/messaging/harness.ts";
import type { StartOptions } from "../../server/main.ts";

export function testRegistryOptions(me: string | null = null): StartOptions {
  return { registry: ({ db, vault }) => makeRegistry(db, vault, () => me) };
}
