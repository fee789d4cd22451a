// Which OpenClaw the interop suite runs against. The release lines themselves are listed in
// shared/gateway-versions.ts (which also derives the dashboard's tested range from them):
// test/support/openclaw-gateway.ts installs and starts the selected one, scripts/test.mjs runs
// the interop phase once per entry when MESH_OPENCLAW_MATRIX=all.
// Plain erasable TypeScript so `node scripts/test.mjs` can import it without a build step.
import { OPENCLAW_RELEASE_LINES } from "../../shared/gateway-versions.ts";

export { MATRIX_EXCLUDED, OPENCLAW_RELEASE_LINES } from "../../shared/gateway-versions.ts";
export const NEWEST_OPENCLAW: string = OPENCLAW_RELEASE_LINES[OPENCLAW_RELEASE_LINES.length - 1]!;

/** $OPENCLAW_VERSION if set (any exact npm version), else the newest release line. */
export function resolveOpenClawVersion(fromEnv: string | undefined): string {
  const v = fromEnv?.trim();
  if (!v) return NEWEST_OPENCLAW;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)) throw new Error(`OPENCLAW_VERSION must be an exact version like ${NEWEST_OPENCLAW}, got "${v}"`);
  return v;
}
