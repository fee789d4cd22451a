// Entries for more agents of a teammate's gateway: each new entry gets the source entry's gateway
// address and a copy of its credentials — gateway token, device identity and device token — so the
// gateway sees one device (paired once) whichever agent is addressed. While both exist, the new
// entry connects as the source (`credentialsFrom`): one pooled connection per gateway; the copies
// take over if the source entry is deleted.
import type { AgentsAdd } from "../../shared/api/teammates.ts";
import { ApiError } from "../errors.ts";
import type { CredentialKind } from "../vault/types.ts";
import type { RegistryContext } from "./context.ts";
import type { Lookups } from "./lookups.ts";
import type { TeammateRecord } from "./types.ts";

const SHARED_KINDS: CredentialKind[] = ["gateway_token", "device_identity", "device_token"];

export function createAgentEntries({ sql, q, vault, now, changed, publish, auditChange }: RegistryContext, { rowByHandle, mustGet }: Lookups) {
  return {
    addAgents(handle: string, input: AgentsAdd, actor: string): TeammateRecord[] {
      const src = mustGet(handle);
      if (!src.gatewayUrl) throw new ApiError("NO_ADDRESS", `"${src.handle}" has no gateway address to discover agents on`, { handle: src.handle });
      const handles = input.agents.map((a) => a.handle);
      const dup = handles.find((h, i) => handles.indexOf(h) !== i);
      if (dup) throw new ApiError("VALIDATION_FAILED", `The handle "${dup}" is given twice`, { handle: dup });
      const ids = sql.transaction(() => {
        const secrets = SHARED_KINDS.map((k) => [k, vault.get(src.id, k)] as const);
        return input.agents.map((a) => {
          if (rowByHandle(a.handle)) throw new ApiError("HANDLE_TAKEN", `The handle "${a.handle}" is taken`, { handle: a.handle });
          const t = now();
          const id = q.insert({
            handle: a.handle,
            name: a.name,
            displayName: null,
            note: null,
            gatewayUrl: src.gatewayUrl,
            hostname: src.hostname,
            tlsFingerprint: src.tlsFingerprint,
            agentId: a.agentId,
            agentEmoji: a.emoji ?? null,
            credentialsFrom: src.credentialsFrom ?? src.id,
            createdAt: t,
            updatedAt: t,
          });
          for (const [kind, value] of secrets) if (value !== null) vault.put(id, kind, value);
          return id;
        });
      }).immediate();
      const recs = ids.map((id) => q.byId(id) as TeammateRecord);
      for (const rec of recs) {
        auditChange(actor, "registry", rec, { action: "create", handle: rec.handle, name: rec.name, gatewayUrl: rec.gatewayUrl, agentId: rec.agentId, credentialsFrom: src.handle });
        publish(rec.handle);
        changed(rec.id);
      }
      return recs;
    },
  };
}
