// forEachLimited: the fan-out helper of broadcasts and presence.
import { forEachLimited } from "./limited.ts";

/** Tasks that stay open until released, recording how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const releases: (() => void)[] = [];
  const task = async (_: unknown, i: number) => {
    started.push(i);
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((r) => releases.push(r));
    running--;
  };
  const releaseAll = async () => {
    while (releases.length) {
      releases.splice(0).forEach((r) => r());
      await new Promise((r) => setImmediate(r));
    }
  };
  return { task, started, releaseAll, peak: () => peak };
}

it("0 (no cap): every task starts at once, in order", async () => {
  const g = gate();
  const done = forEachLimited([..."abcdef"], 0, g.task);
  expect(g.started).toEqual([0, 1, 2, 3, 4, 5]);
  await g.releaseAll();
  await done;
  expect(g.peak()).toBe(6);
});

it("a cap holds: never more than 2 at once, all of them run, in order", async () => {
  const g = gate();
  const done = forEachLimited([..."abcde"], 2, g.task);
  expect(g.started).toEqual([0, 1]);
  await g.releaseAll();
  await done;
  expect(g.started).toEqual([0, 1, 2, 3, 4]);
  expect(g.peak()).toBe(2);
});

it("no items: resolves at once; a throwing task rejects", async () => {
  await expect(forEachLimited([], 3, async () => undefined)).resolves.toBeUndefined();
  await expect(forEachLimited([1, 2], 0, async (n) => { if (n === 2) throw new Error("boom"); })).rejects.toThrow("boom");
});
