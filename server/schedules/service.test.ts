// The scheduler loop and the claim, on a real SQLite file with a stand-in broadcast service.
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";
import type { Principal } from "../auth/types.ts";
import { createSchedules, type SchedulesDeps } from "./service.ts";

const admin: Principal = { kind: "user", id: "1", name: "ada", role: "admin", label: "user:ada" };
const teammate = { id: 1, handle: "ann", name: "Ann", displayName: null, note: null, tags: [], gatewayUrl: "ws://x:1", hostname: null, tlsFingerprint: null, agentId: "main", agentEmoji: null, credentialsFrom: null, createdAt: 0, updatedAt: 0 };

function deps(db: TmpDb["db"], created: string[], clock: { t: number }, createDelayMs = 0): SchedulesDeps {
  let n = 0;
  return {
    db,
    now: () => clock.t,
    registry: { list: () => [teammate], me: () => null, hasToken: () => true },
    audit: { append: () => ({}) as never },
    broadcasts: {
      create: (req) => {
        const id = `b${++n}`;
        created.push(`${id}:${req.message}`);
        if (createDelayMs) {
          const until = Date.now() + createDelayMs;
          while (Date.now() < until) {
            /* a slow create: stop() must wait for it */
          }
        }
        return { kind: "created", broadcast: { id, sha256: "x", recipients: [{ handle: "ann" }], confirmationToken: null } } as never;
      },
      confirm: async () => ({}) as never,
    },
  };
}

describe("schedules service", () => {
  let t: TmpDb;
  beforeEach(() => {
    t = tmpDb();
  });
  afterEach(() => t.cleanup());

  it("two services on one file (two connections) fire a due run once", async () => {
    const clock = { t: Date.parse("2026-12-07T08:00:00Z") };
    const created: string[] = [];
    const a = createSchedules(deps(t.db, created, clock));
    const b = createSchedules(deps(t.reopen(), created, clock));
    a.create({ name: "s", message: "hello", session: "main", timeoutSec: 5, cron: "0 9 * * *", timezone: "UTC" }, admin);
    clock.t = Date.parse("2026-12-07T09:00:01Z");
    const fired = await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(fired.reduce((x, y) => x + y, 0)).toBe(1);
    expect(created).toEqual(["b1:hello"]);
    const s = a.list()[0]!;
    expect(s.runs).toEqual([{ fireTime: "2026-12-07T09:00:00.000Z", broadcastId: "b1", outcome: "awaiting_confirmation", error: null }]);
    expect(s.nextRunAt).toBe("2026-12-08T09:00:00.000Z");
  });

  it("a run whose broadcast cannot be created is recorded as failed, not retried", async () => {
    const clock = { t: Date.parse("2026-12-07T08:00:00Z") };
    const d = deps(t.db, [], clock);
    d.broadcasts.create = () => {
      throw new Error("Nobody to broadcast to");
    };
    const s = createSchedules(d);
    s.create({ name: "s", message: "hello", session: "main", timeoutSec: 5, runAt: "2026-12-07T08:30:00.000Z", timezone: "UTC" }, admin);
    clock.t = Date.parse("2026-12-07T08:31:00Z");
    expect(await s.tick()).toBe(1);
    expect(await s.tick()).toBe(0);
    expect(s.list()[0]!.runs).toEqual([{ fireTime: "2026-12-07T08:30:00.000Z", broadcastId: null, outcome: "failed", error: "Nobody to broadcast to" }]);
  });

  it("stop() ends the loop: it waits for a run in progress and no tick follows", async () => {
    const clock = { t: Date.now() };
    const created: string[] = [];
    const s = createSchedules(deps(t.db, created, clock, 50));
    s.create({ name: "s", message: "tick", session: "main", timeoutSec: 5, runAt: new Date(clock.t + 1000).toISOString(), timezone: "UTC" }, admin);
    clock.t += 2000;
    const stop = s.start(10);
    await new Promise((r) => setTimeout(r, 5));
    await stop();
    expect(created).toEqual(["b1:tick"]);
    s.create({ name: "s2", message: "after stop", session: "main", timeoutSec: 5, runAt: new Date(clock.t + 10).toISOString(), timezone: "UTC" }, admin);
    clock.t += 1000;
    await new Promise((r) => setTimeout(r, 60));
    expect(created).toEqual(["b1:tick"]);
  });

  it("an edit that leaves the timing alone keeps a due run; a new cron recomputes from now; a paused schedule never fires", async () => {
    const clock = { t: Date.parse("2026-12-07T08:00:00Z") };
    const created: string[] = [];
    const s = createSchedules(deps(t.db, created, clock));
    const id = s.create({ name: "s", message: "hello", session: "main", timeoutSec: 5, cron: "0 9 * * *", timezone: "UTC" }, admin).id;
    clock.t = Date.parse("2026-12-07T09:00:30Z"); // due, not yet claimed
    expect(s.update(id, { name: "renamed", message: "edited" }, admin).nextRunAt).toBe("2026-12-07T09:00:00.000Z");
    expect(await s.tick()).toBe(1);
    expect(created).toEqual(["b1:edited"]);
    clock.t = Date.parse("2026-12-08T09:00:30Z");
    expect(s.update(id, { cron: "0 10 * * *" }, admin).nextRunAt).toBe("2026-12-08T10:00:00.000Z");
    expect(await s.tick()).toBe(0);
    expect(s.update(id, { enabled: false }, admin)).toMatchObject({ enabled: false, nextRunAt: null, nextRuns: [] });
    clock.t = Date.parse("2026-12-09T11:00:00Z");
    expect(await s.tick()).toBe(0);
    expect(s.update(id, { enabled: true }, admin).nextRunAt).toBe("2026-12-10T10:00:00.000Z");
    expect(created).toEqual(["b1:edited"]);
  });
});
