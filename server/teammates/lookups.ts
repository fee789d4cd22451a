// Reading the registry: by handle or id, name resolution, whoami, who shares a gateway.
import { ApiError } from "../errors.ts";
import { gatewayAddressKey } from "../gateway/url-policy.ts";
import type { RegistryContext } from "./context.ts";
import type { Row } from "./queries.ts";
import type { Registry, TeammateRecord } from "./types.ts";

export const MY_HANDLE_SETTING = "my_handle";

export type Lookups = ReturnType<typeof createLookups>;

export function createLookups({ q, opts }: RegistryContext) {
  const rowByHandle = (handle: string): Row | undefined => q.byHandle(handle.trim().toLowerCase());

  function mustGet(handle: string): Row {
    const r = rowByHandle(handle);
    if (!r) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate with handle "${handle}"`, { handle });
    return r;
  }

  function me(): { handle: string; source: "env" | "setting" } | null {
    if (opts.config.myHandle) return { handle: opts.config.myHandle.toLowerCase(), source: "env" };
    const value = q.getSetting(MY_HANDLE_SETTING);
    return value !== undefined ? { handle: value, source: "setting" } : null;
  }

  /** Handles per normalized gateway address, for the shared-gateway warning. */
  function handlesByGateway(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of q.all()) {
      if (!r.gatewayUrl) continue;
      const key = gatewayAddressKey(r.gatewayUrl);
      out.set(key, [...(out.get(key) ?? []), r.handle]);
    }
    return out;
  }

  const list = (): TeammateRecord[] => q.all();

  const read: Pick<Registry, "list" | "byHandle" | "byId" | "resolve" | "me"> = {
    list,
    byHandle: (handle) => rowByHandle(handle) ?? null,
    byId: (id) => q.byId(id) ?? null,
    resolve(to) {
      const needle = to.trim().toLowerCase();
      if (!needle) throw new ApiError("TEAMMATE_NOT_FOUND", "No teammate given");
      const exact = rowByHandle(needle);
      if (exact) return exact;
      const all = list();
      const exactName = all.filter((t) => t.name.toLowerCase() === needle || t.displayName?.toLowerCase() === needle);
      if (exactName.length === 1) return exactName[0] as TeammateRecord;
      const hits = exactName.length > 1 ? exactName : all.filter((t) => t.name.toLowerCase().includes(needle) || (t.displayName?.toLowerCase().includes(needle) ?? false));
      if (hits.length === 1) return hits[0] as TeammateRecord;
      if (hits.length > 1) {
        throw new ApiError("AMBIGUOUS_TEAMMATE", `"${to}" matches ${hits.length} teammates; use a handle: ${hits.map((h) => h.handle).join(", ")}`, {
          candidates: hits.map((h) => ({ handle: h.handle, name: h.name, displayName: h.displayName })),
        });
      }
      throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate matches "${to}" (handle, name or display name)`, { to });
    },
    me,
  };

  return { rowByHandle, mustGet, handlesByGateway, read };
}

/** The other handles at the same gateway address as `rec`. */
export const sharedWith = (rec: TeammateRecord, byGateway: Map<string, string[]>): string[] =>
  rec.gatewayUrl ? (byGateway.get(gatewayAddressKey(rec.gatewayUrl)) ?? []).filter((h) => h !== rec.handle) : [];
