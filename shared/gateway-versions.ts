// The OpenClaw releases the interop suite runs against: the one place they are written (the test
// support and scripts/test.mjs read them from here). A gateway reporting a version outside the
// tested range still works; the dashboard shows a warning.
// Plain erasable TypeScript: `node scripts/test.mjs` imports it without a build step.

/** The latest stable release of every release line since gateway protocol v4 (`npm view openclaw versions`). */
export const OPENCLAW_RELEASE_LINES: readonly string[] = ["2026.6.35", "2026.7.35", "2026.8.2", "2026.9.6"];

/**
 * Release lines the CI matrix leaves out, each with why (docs/gateway-connector.md's table keeps
 * their last run). None now: every line runs. Run one by hand with OPENCLAW_VERSION=<version>.
 */
export const MATRIX_EXCLUDED: Readonly<Record<string, string>> = {};

const inMatrix = OPENCLAW_RELEASE_LINES.filter((v) => !(v in MATRIX_EXCLUDED));

/** What CI proves: the oldest to the newest release line the matrix runs. */
export const TESTED_GATEWAY_VERSIONS: { readonly min: string; readonly max: string } = { min: inMatrix[0]!, max: inMatrix[inMatrix.length - 1]! };

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
