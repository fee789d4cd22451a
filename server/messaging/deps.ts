import type { CoreDeps } from "../deps.ts";
import type { Metrics } from "../metrics/index.ts";
import type { Fallback } from "./fallback.ts";
import type { InFlight } from "./inflight.ts";
import type { SecretGuard } from "../guard/secret-guard.ts";
import type { SendRate } from "../guard/send-rate.ts";

/** What the messaging services are built from. */
export interface MessagingDeps extends CoreDeps {
  metrics: Metrics;
  inflight: InFlight;
  fallback: Fallback;
  /** Guardrails every outgoing message passes (server/guard). */
  guard: { secrets: SecretGuard; rate: SendRate };
}
