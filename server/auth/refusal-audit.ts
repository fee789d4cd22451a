// Audit of sign-ins refused by the rate limit, aggregated so anonymous callers cannot grow the
// trail without bound (without this, every refused attempt was one permanent, undeletable row).
//
// Per limiter key (username + IP, or the address alone when the per-address limit refused) and
// window (`windowMs`, starting at the key's first refusal):
//   - the FIRST refusal writes one `login` entry at once: outcome failed, errorCode RATE_LIMITED,
//     details {action: "login_refused", reason: "rate_limited", username, ip, windowStart};
//   - further refusals in the window are only counted in memory;
//   - when the window has ended (noticed by a sweep at most once a second on the next refusal, by
//     the background timer, or at shutdown via flush()), ONE entry
//     details {action: "login_refused_aggregate", username, ip, refused, from, to} is written,
//     `refused` counting every refusal of the window (the first one included). A window with a
//     single refusal writes no aggregate: its first entry says it all.
// Memory is bounded: at most `maxKeys` keys are tracked; refusals for further keys are folded
// into ONE global window (username and ip "*", details.overflow true) with the same two entries.
import type { AuditLog } from "../audit/types.ts";

export interface RefusalAudit {
  /** A sign-in refused by the rate limit. `username` "*" when the per-address limit refused. */
  refused(username: string, ip: string): void;
  /** Writes the aggregate entry of every window not yet written (shutdown, tests). */
  flush(): void;
  /** Keys tracked right now (the overflow window not included). */
  size(): number;
  /** Stops the background timer and flushes. */
  close(): void;
}

interface Window {
  username: string;
  ip: string;
  overflow: boolean;
  first: number;
  last: number;
  count: number;
}

export function createRefusalAudit(opts: {
  audit: Pick<AuditLog, "append">;
  now?: () => number;
  windowMs?: number;
  maxKeys?: number;
  /** Background sweep of ended windows (default on; unref'd). */
  timer?: boolean;
}): RefusalAudit {
  const now = opts.now ?? Date.now;
  const windowMs = opts.windowMs ?? 5 * 60_000;
  const maxKeys = opts.maxKeys ?? 1_000;
  // the overflow window lives in the same map, under a key no username|ip can take
  const OVERFLOW = "\0overflow";
  const windows = new Map<string, Window>();
  const tracked = () => windows.size - (windows.has(OVERFLOW) ? 1 : 0);
  let lastSweep = now();

  // the per-address and overflow windows span many usernames: no single user to name
  const actor = (username: string) => (username === "*" ? "anonymous" : `user:${username.slice(0, 64)}`);
  const where = (w: Window) => ({ username: w.username.slice(0, 64), ip: w.ip, ...(w.overflow ? { overflow: true } : {}) });

  function writeFirst(w: Window): void {
    opts.audit.append({
      actor: actor(w.username),
      kind: "login",
      outcome: "failed",
      errorCode: "RATE_LIMITED",
      details: { action: "login_refused", reason: "rate_limited", ...where(w), windowStart: new Date(w.first).toISOString(), windowSec: Math.round(windowMs / 1000) },
    });
  }

  function writeAggregate(w: Window): void {
    if (w.count <= 1) return;
    opts.audit.append({
      actor: actor(w.username),
      kind: "login",
      outcome: "failed",
      errorCode: "RATE_LIMITED",
      details: {
        action: "login_refused_aggregate",
        reason: "rate_limited",
        ...where(w),
        refused: w.count,
        from: new Date(w.first).toISOString(),
        to: new Date(w.last).toISOString(),
      },
    });
  }

  const ended = (w: Window, t: number) => t - w.first >= windowMs;

  function sweep(t: number): void {
    lastSweep = t;
    for (const [key, w] of windows) {
      if (!ended(w, t)) continue;
      windows.delete(key);
      writeAggregate(w);
    }
  }

  function flush(): void {
    for (const w of windows.values()) writeAggregate(w);
    windows.clear();
  }

  /** Counts a refusal in the key's window: a new window (and its first entry) once the old one ended. */
  function count(key: string, t: number, who: Pick<Window, "username" | "ip" | "overflow">): void {
    let w = windows.get(key);
    if (w && ended(w, t)) {
      windows.delete(key);
      writeAggregate(w);
      w = undefined;
    }
    if (w) {
      w.count++;
      w.last = t;
      return;
    }
    w = { ...who, first: t, last: t, count: 1 };
    windows.set(key, w);
    writeFirst(w);
  }

  const timer = opts.timer === false ? null : setInterval(() => sweep(now()), Math.min(windowMs, 60_000));
  timer?.unref();

  return {
    refused(username, ip) {
      const t = now();
      if (t - lastSweep >= 1000) sweep(t);
      const key = `${username}|${ip}`;
      if (windows.has(key) || tracked() < maxKeys) count(key, t, { username, ip, overflow: false });
      else count(OVERFLOW, t, { username: "*", ip: "*", overflow: true });
    },
    flush,
    size: tracked,
    close() {
      if (timer) clearInterval(timer);
      flush();
    },
  };
}
