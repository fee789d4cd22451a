// The background presence sweep: every MESH_PRESENCE_INTERVAL_SECONDS (each wait jittered by up
// to ±10 %, so many dashboards do not hit gateways in step) it probes every teammate that has an
// address and credentials, through presence.refresh (bounded by MESH_PING_CONCURRENCY, events
// published, no `ping` audit entry per run).
// A teammate whose last check was auth_failed is skipped: OpenClaw locks an address out for 5
// minutes after 10 failed logins a minute, so nothing automatic tries it again until its
// credentials change (a new token re-probes at once, see services.ts) or a user pings it.
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Registry, TeammateRecord } from "../teammates/types.ts";
import type { PresenceService } from "./presence.ts";

export const SWEEP_ACTOR = "system:presence-sweep";
/** Each wait is the interval × (1 ± JITTER). */
export const SWEEP_JITTER = 0.1;

export interface PresenceSweepDeps {
  config: Pick<Config, "presenceIntervalSec">;
  registry: Pick<Registry, "list" | "hasToken" | "toApi">;
  presence: Pick<PresenceService, "refresh">;
  logger?: Pick<Logger, "warn">;
  /** 0 ≤ x < 1 (tests pass a fixed one). */
  random?: () => number;
}

export interface PresenceSweep {
  /** Ends the timer and waits for a run in progress. */
  stop(): Promise<void>;
  /** One run now (what the timer does); resolves with the handles probed. */
  runOnce(): Promise<string[]>;
}

/** The wait before the next run, in ms: interval ± 10 %. */
export function sweepDelayMs(intervalSec: number, random: () => number): number {
  return Math.round(intervalSec * 1000 * (1 - SWEEP_JITTER + 2 * SWEEP_JITTER * random()));
}

/** Who the sweep probes: an address, a credential, and no refusal of that credential on record. */
export function sweepTargets(registry: PresenceSweepDeps["registry"]): TeammateRecord[] {
  return registry.list().filter((t) => t.gatewayUrl && registry.hasToken(t.id) && registry.toApi(t).status.state !== "auth_failed");
}

export function startPresenceSweep(deps: PresenceSweepDeps): PresenceSweep {
  const interval = deps.config.presenceIntervalSec;
  const random = deps.random ?? Math.random;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<string[]> | null = null;

  const runOnce = (): Promise<string[]> => {
    if (running) return running;
    const targets = sweepTargets(deps.registry);
    running = deps.presence
      .refresh(targets, SWEEP_ACTOR)
      .then(() => targets.map((t) => t.handle))
      .catch((err: unknown) => {
        deps.logger?.warn({ err }, "presence sweep failed");
        return [];
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const schedule = () => {
    if (stopped || interval <= 0) return;
    timer = setTimeout(() => {
      timer = null;
      void runOnce().then(schedule);
    }, sweepDelayMs(interval, random));
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
    },
  };
}
