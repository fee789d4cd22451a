// Send rate limits per sender (user or API key, by its audit label) and per recipient (teammate
// handle): fixed windows of MESH_RATE_WINDOW_SEC counted in the `rate_counters` table, so every
// process on one database file shares them. Checked and counted in one IMMEDIATE transaction:
// two processes cannot both take the last slot. A refused send counts nothing.
import type { Config } from "../config.ts";
import type { Db } from "../db/connection.ts";
import { and, eq, sql } from "../db/drizzle.ts";
import { rateCounters } from "../db/schema.ts";
import { ApiError } from "../errors.ts";

export interface SendCharge {
  /** The sender's audit label ("user:ann", "key:ci"). */
  sender: string;
  /** One entry per message going to a recipient (a broadcast: each recipient once). */
  recipients: string[];
  /** Messages this send counts for the sender (rounds of a send, recipients of a broadcast). */
  count: number;
}

export interface SendRate {
  /** Throws RATE_LIMITED (429, details {limit, scope, key, retryAfterSeconds}) or counts the send. */
  charge(c: SendCharge): void;
}

export function createSendRate(db: Db, config: Pick<Config, "rateSenderMax" | "rateRecipientMax" | "rateWindowSec">, now: () => number = Date.now): SendRate {
  const windowMs = config.rateWindowSec * 1000;
  const read = (scope: string, key: string) =>
    db.select({ windowStart: rateCounters.windowStart, count: rateCounters.count }).from(rateCounters).where(and(eq(rateCounters.scope, scope), eq(rateCounters.key, key))).get();
  const add = (scope: string, key: string, windowStart: number, n: number) =>
    db
      .insert(rateCounters)
      .values({ scope, key, windowStart, count: n })
      .onConflictDoUpdate({
        target: [rateCounters.scope, rateCounters.key],
        set: { count: sql`case when ${rateCounters.windowStart} = ${windowStart} then ${rateCounters.count} + ${n} else ${n} end`, windowStart },
      })
      .run();

  const charge = db.$client.transaction((c: SendCharge) => {
    const t = now();
    const windowStart = t - (t % windowMs);
    const wants: { scope: "sender" | "recipient"; key: string; n: number; limit: number }[] = [];
    if (config.rateSenderMax > 0) wants.push({ scope: "sender", key: c.sender, n: c.count, limit: config.rateSenderMax });
    if (config.rateRecipientMax > 0) {
      const per = new Map<string, number>();
      for (const r of c.recipients) per.set(r, (per.get(r) ?? 0) + 1);
      for (const [key, n] of per) wants.push({ scope: "recipient", key, n, limit: config.rateRecipientMax });
    }
    for (const w of wants) {
      const row = read(w.scope, w.key);
      const used = row && row.windowStart === windowStart ? row.count : 0;
      if (used + w.n > w.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000));
        const who = w.scope === "sender" ? `sender ${w.key}` : `teammate ${w.key}`;
        throw new ApiError("RATE_LIMITED", `Rate limit reached: ${who} may get ${w.limit} messages per ${config.rateWindowSec} s (${w.scope} limit); try again in ${retryAfterSeconds} s`, {
          limit: w.limit,
          scope: w.scope,
          key: w.key,
          windowSec: config.rateWindowSec,
          retryAfterSeconds,
        });
      }
    }
    for (const w of wants) add(w.scope, w.key, windowStart, w.n);
  });
  // with both limits off there is nothing to count: no write lock taken on the send path
  const off = config.rateSenderMax <= 0 && config.rateRecipientMax <= 0;
  return { charge: (c) => (off ? undefined : charge.immediate(c)) };
}
