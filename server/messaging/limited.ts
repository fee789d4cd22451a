// The one concurrency helper of fan-outs (broadcast recipients, presence probes).

/**
 * Runs `task` for every item, starting them in item order, with at most `limit` running at
 * once (0 or less: all at once). Resolves when all have ended; rejects with the first task
 * that throws (tasks that must not stop the others catch their own errors).
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  const width = limit > 0 ? Math.min(limit, items.length) : items.length;
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}
