import { KeyedSerialQueue, qualifySessionKey, sessionQueueKey } from "./session-queue.ts";

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
    expect(sessionQueueKey("ws://h", "main")).toBe(sessionQueueKey("ws://h", "agent:main:main"));
    expect(sessionQueueKey("ws://h", "main")).not.toBe(sessionQueueKey("ws://h", "standup"));
  });

  it("keys by gateway address, not by teammate: spellings of one address share a queue", () => {
    const key = sessionQueueKey("ws://localhost:18789", "main");
    expect(sessionQueueKey("ws://LOCALHOST:18789/", "main")).toBe(key);
    expect(sessionQueueKey("ws://127.0.0.1:18789", "agent:main:main")).toBe(key);
    expect(sessionQueueKey("ws://[::1]:18789/", "main")).toBe(key);
    expect(sessionQueueKey("wss://GW.example.com:443/", "main")).toBe(sessionQueueKey("wss://gw.example.com", "main"));
    expect(sessionQueueKey("ws://10.0.0.5:80/gw/", "main")).toBe(sessionQueueKey("ws://10.0.0.5/gw", "main"));
  });

  it("keeps different gateways apart", () => {
    const key = sessionQueueKey("ws://localhost:18789", "main");
    expect(sessionQueueKey("ws://localhost:18790", "main")).not.toBe(key);
    expect(sessionQueueKey("wss://localhost:18789", "main")).not.toBe(key);
    expect(sessionQueueKey("ws://localhost:18789/other", "main")).not.toBe(key);
    expect(sessionQueueKey("ws://10.0.0.5:18789", "main")).not.toBe(key);
  });

  it("qualifies a bare session with the target's agent; one agent's sessions share a key, other agents' do not", () => {
    expect(qualifySessionKey("standup", "research")).toBe("agent:research:standup");
    expect(qualifySessionKey(" main ", "main")).toBe("agent:main:main");
    expect(qualifySessionKey("agent:ops:main", "research")).toBe("agent:ops:main");
    expect(qualifySessionKey("main", undefined)).toBe("main");
    const research = sessionQueueKey("ws://h", qualifySessionKey("main", "research"));
    expect(research).toBe(sessionQueueKey("ws://h/", "agent:research:main"));
    expect(research).not.toBe(sessionQueueKey("ws://h", qualifySessionKey("main", "main")));
  });
});
