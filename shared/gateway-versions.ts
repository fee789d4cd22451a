// The OpenClaw releases the interop suite runs against: the one place this range is written.
// A gateway reporting a version outside it still works; the dashboard shows a warning.
export const TESTED_GATEWAY_VERSIONS = { min: "2026.6.35", max: "2026.9.6" } as const;

/** "2026.9.6" (optionally "v…" and a "-beta.1"-style suffix) → [2026, 9, 6]; null when not numeric. */
function parts(version: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** true inside the tested range, false outside (or unparseable), null when no version is known. */
export function versionTested(version: string | null | undefined): boolean | null {
  if (!version) return null;
  const v = parts(version);
  const lo = parts(TESTED_GATEWAY_VERSIONS.min);
  const hi = parts(TESTED_GATEWAY_VERSIONS.max);
  if (!v || !lo || !hi) return false;
  return compare(v, lo) >= 0 && compare(v, hi) <= 0;
}

/** What the user should do when a gateway refuses this dashboard's credentials (AUTH_FAILED). */
export const AUTH_FAILED_HINT =
  "Automatic checks of this gateway are paused until its credentials change (OpenClaw locks an address out for 5 minutes after 10 failed logins a minute). " +
  "On the gateway's machine run `openclaw devices rotate` (new device token) or `openclaw devices approve <requestId>`, or paste a new gateway token here. A manual ping still tries once.";
