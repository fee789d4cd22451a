// The old agent-team-mesh skill's files → teammate rows. Pure: no database access.
import type { LegacyRegistryFile } from "../../shared/api/teammates.ts";
import type { z } from "zod";
import { checkGatewayUrl } from "../gateway/url-policy.ts";

export const DEFAULT_GATEWAY_URL_PATTERN = "ws://{ip}:18789";
export const DEFAULT_GATEWAY_PORT = "18789";
const HANDLE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export type LegacyRegistry = z.infer<typeof LegacyRegistryFile>;

/** One entry of the legacy file, mapped to the fields the registry owns. */
export interface LegacyTeammate {
  handle: string;
  /** The emailPrefix as written in the file (tokens.json is keyed by it). */
  emailPrefix: string;
  name: string;
  displayName: string | null;
  note: string | null;
  /** null: the source gives no address (the current one, if any, is kept). */
  gatewayUrl: string | null;
  hostname: string | null;
}

export interface LegacyParse {
  entries: LegacyTeammate[];
  skipped: { handle: string | null; reason: string }[];
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** Fills {ip}, {hostname}, {port} (and {host}: ip, else hostname); null when a placeholder has no value. */
export function fillPattern(pattern: string, values: { ip: string | null; hostname: string | null; port: string | null }): string | null {
  let missing = false;
  const out = pattern.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v =
      name === "ip" ? values.ip : name === "hostname" ? values.hostname : name === "host" ? (values.ip ?? values.hostname) : name === "port" ? (values.port ?? DEFAULT_GATEWAY_PORT) : undefined;
    if (v === undefined) return whole; // unknown placeholder: left as is, the URL check rejects it
    if (v === null) missing = true;
    return v ?? "";
  });
  return missing ? null : out;
}

export function parseLegacyRegistry(file: LegacyRegistry): LegacyParse {
  const pattern = str(file.gatewayUrlPattern) ?? DEFAULT_GATEWAY_URL_PATTERN;
  const entries: LegacyTeammate[] = [];
  const skipped: LegacyParse["skipped"] = [];
  const seen = new Set<string>();
  for (const agent of file.agents) {
    const prefix = str(agent.emailPrefix);
    const handle = prefix?.split("@")[0]?.toLowerCase() ?? null;
    if (!prefix || !handle || !HANDLE_RE.test(handle)) {
      skipped.push({ handle: handle ?? prefix, reason: `invalid handle: emailPrefix must be 1-64 of a-z 0-9 . _ - (got ${JSON.stringify(agent.emailPrefix ?? null)})` });
      continue;
    }
    if (seen.has(handle)) {
      skipped.push({ handle, reason: "duplicate in file: an earlier entry has the same emailPrefix" });
      continue;
    }
    seen.add(handle);
    const ip = str(agent.ip);
    const hostname = str(agent.hostname);
    const port = str((agent as Record<string, unknown>).port === undefined ? null : String((agent as Record<string, unknown>).port));
    let gatewayUrl: string | null = null;
    // entries without an ip have no address (unless the pattern only needs the hostname)
    const url = fillPattern(pattern, { ip, hostname, port });
    if (url !== null && (ip !== null || !/\{(ip|host)\}/.test(pattern))) {
      const check = checkGatewayUrl(url);
      if (!check.ok) {
        skipped.push({ handle, reason: `bad URL: ${check.message}` });
        continue;
      }
      gatewayUrl = check.url;
    }
    const name = str(agent.name) ?? str(agent.redName) ?? handle;
    const redName = str(agent.redName);
    entries.push({
      handle,
      emailPrefix: prefix,
      name: name.slice(0, 200),
      displayName: redName && redName !== name ? redName.slice(0, 200) : null,
      note: str(agent.note)?.slice(0, 2000) ?? null,
      gatewayUrl,
      hostname: hostname?.slice(0, 253) ?? null,
    });
  }
  return { entries, skipped };
}

/** tokens.json is keyed by emailPrefix; match case-insensitively, like handles. */
export function tokensByHandle(tokens: Record<string, string> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tokens ?? {})) {
    const h = k.trim().split("@")[0]?.toLowerCase();
    if (h && typeof v === "string" && v.length > 0) out.set(h, v);
  }
  return out;
}
