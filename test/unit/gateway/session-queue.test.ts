import { KeyedSerialQueue, sessionQueueKey } from "../../../server/gateway/session-queue.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("KeyedSerialQueue", () => {
  it("runs tasks of one key one after another, in order", async () => {
    const q = new KeyedSerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([q.run("a", task("1", 30)), q.run("a", task("2", 5)), q.run("a", task("3", 1))]);
    expect(results).toEqual(["1", "2", "3"]);
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    expect(q.size).toBe(0);
  });

  it("runs different keys in parallel", async () => {
    // Each task waits until all three have started: that only ends if they run side by side.
    const q = new KeyedSerialQueue();
    let started = 0;
    const allStarted = Promise.withResolvers<void>();
    const task = async () => {
      if (++started === 3) allStarted.resolve();
      await allStarted.promise;
    };
    await Promise.all([q.run("a", task), q.run("b", task), q.run("c", task)]);
    expect(started).toBe(3);
  });

  it("keeps going after a failing task", async () => {
    const q = new KeyedSerialQueue();
    const first = q.run("a", async () => {
      throw new Error("boom");
    });
    const second = q.run("a", async () => "ok");
    await expect(first).rejects.toThrow("boom");
    await expect(second).resolves.toBe("ok");
  });

  it("maps a bare session name and its qualified form to one queue key", () => {
    expect(sessionQueueKey(1, "ws://h", "main")).toBe(sessionQueueKey(1, "ws://h", "agent:main:main"));
    expect(sessionQueueKey(1, "ws://h", "main")).not.toBe(sessionQueueKey(2, "ws://h", "main"));
    expect(sessionQueueKey(1, "ws://h", "main")).not.toBe(sessionQueueKey(1, "ws://h", "standup"));
  });
});
