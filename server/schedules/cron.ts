// Cron parsing and the next fire times, by croner (pinned; README says why): 5/6-field syntax,
// time zones and DST handled by a maintained library rather than by hand.
import { Cron } from "croner";
import { ApiError } from "../errors.ts";

function parse(pattern: string, timezone: string): Cron {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw new ApiError("VALIDATION_FAILED", `Unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin)`, { issues: [{ path: "timezone", message: "unknown time zone", code: "custom" }] });
  }
  try {
    return new Cron(pattern, { timezone, paused: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiError("VALIDATION_FAILED", `"${pattern}" is not a cron expression: ${why}`, { issues: [{ path: "cron", message: why, code: "custom" }] });
  }
}

/** The next `count` fire times strictly after `after` (ms). Throws VALIDATION_FAILED for a bad pattern or zone. */
export function nextRuns(pattern: string, timezone: string, count: number, after: number): number[] {
  return parse(pattern, timezone)
    .nextRuns(count, new Date(after))
    .map((d) => d.getTime());
}

/** "Mon, 8 Dec 2026, 09:00 (Europe/Berlin)". */
export function humanTime(ms: number, timezone: string): string {
  const text = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(ms));
  return `${text} (${timezone})`;
}
