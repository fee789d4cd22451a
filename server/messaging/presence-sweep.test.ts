import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Teammate } from "../../shared/api/teammates.ts";
import type { TeammateRecord } from "../teammates/types.ts";
import { startPresenceSweep, sweepDelayMs, sweepTargets, SWEEP_ACTOR, type PresenceSweepDeps } from "./presence-sweep.ts";

const rec = (id: number, handle: string, gatewayUrl: string | null): TeammateRecord => ({
  id,
  handle,
  name: handle,
  displayName: null,
  note: null,
  gatewayUrl,
  hostname: null,
  tlsFingerprint: null,
  agentId: "main",
  agentEmoji: null,
  credentialsFrom: null,
  tags: [],
  createdAt: 0,
  updatedAt: 0,
});

function fakes(interval: number) {
  const records = [rec(1, "up", "ws://127.0.0.1:1"), rec(2, "locked", "ws://127.0.0.1:2"), rec(3, "no-addr", null), rec(4, "no-token", "ws://127.0.0.1:4")];
  const states = new Map<number, string>([[2, "auth_failed"]]);
  const runs: { handles: string[]; actor: string }[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const deps: PresenceSweepDeps = {
    config: { presenceIntervalSec: interval },
    registry: {
      list: () => records,
      hasToken: (id) => id !== 4,
      toApi: (r) => ({ status: { state: states.get(r.id) ?? "online" } }) as Teammate,
    },
    presence: {
      refresh: async (rs, actor) => {
        runs.push({ handles: rs.map((r) => r.handle), actor });
        if (hold) await new Promise<void>((r) => (release = r));
        return [];
      },
    },
    random: () => 0.5,
  };
  return { deps, runs, states, holdNext: () => (hold = true), release: () => release?.() };
}

describe("presence sweep", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits the interval ± 10 % (never outside it)", () => {
    expect(sweepDelayMs(60, () => 0)).toBe(54_000);
    expect(sweepDelayMs(60, () => 0.999_999)).toBeLessThanOrEqual(66_000);
    expect(sweepDelayMs(60, () => 0.999_999)).toBeGreaterThan(65_990);
    expect(sweepDelayMs(60, () => 0.5)).toBe(60_000);
    for (let i = 0; i < 200; i++) {
      const d = sweepDelayMs(30, Math.random);
      expect(d).toBeGreaterThanOrEqual(27_000);
      expect(d).toBeLessThanOrEqual(33_000);
    }
  });

  it("probes only teammates with an address and credentials that were not refused", () => {
    const { deps, states } = fakes(60);
    expect(sweepTargets(deps.registry).map((t) => t.handle)).toEqual(["up"]);
    // new credentials replace the auth_failed status (the token change re-probes): swept again
    states.set(2, "online");
    expect(sweepTargets(deps.registry).map((t) => t.handle)).toEqual(["up", "locked"]);
  });

  it("runs on its timer, again and again, as the sweep actor", async () => {
    const { deps, runs } = fakes(10);
    const sweep = startPresenceSweep(deps);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([{ handles: ["up"], actor: SWEEP_ACTOR }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(2);
    await sweep.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(2);
  });

  it("interval 0 is off: no timer at all", async () => {
    const { deps, runs } = fakes(0);
    const sweep = startPresenceSweep(deps);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(runs).toHaveLength(0);
    await sweep.stop();
  });

  it("stop() waits for the run in progress and schedules no other", async () => {
    const f = fakes(5);
    const sweep = startPresenceSweep(f.deps);
    f.holdNext();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(f.runs).toHaveLength(1);
    let stopped = false;
    const stopping = sweep.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    f.release();
    await stopping;
    expect(stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a failing run is logged and the sweep goes on", async () => {
    const { deps, runs } = fakes(5);
    const warned: unknown[] = [];
    let fail = true;
    const sweep = startPresenceSweep({
      ...deps,
      logger: { warn: (o: unknown) => void warned.push(o) },
      presence: {
        refresh: async (rs, actor) => {
          if (fail) {
            fail = false;
            throw new Error("boom");
          }
          return deps.presence.refresh(rs, actor);
        },
      },
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(warned).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toHaveLength(1);
    await sweep.stop();
  });
});
