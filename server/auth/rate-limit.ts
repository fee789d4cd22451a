// Failed-login limiter: at most `max` failures per key (username + IP) within `windowMs`.
export interface LoginLimiter {
  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfterSec(key: string): number;
  fail(key: string): void;
  reset(key: string): void;
}

export function createLoginLimiter(opts: { max?: number; windowMs?: number; now?: () => number } = {}): LoginLimiter {
  const max = opts.max ?? 10;
  const windowMs = opts.windowMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const t = now();
    const list = (failures.get(key) ?? []).filter((at) => t - at < windowMs);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  return {
    retryAfterSec(key) {
      const list = recent(key);
      if (list.length < max) return 0;
      const oldest = list[list.length - max] as number;
      return Math.max(1, Math.ceil((oldest + windowMs - now()) / 1000));
    },
    fail(key) {
      const list = recent(key);
      list.push(now());
      failures.set(key, list.slice(-max));
      if (failures.size > 10_000) {
        for (const k of failures.keys()) {
          recent(k);
          if (failures.size <= 5_000) break;
        }
      }
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
