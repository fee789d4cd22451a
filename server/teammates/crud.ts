// Changing the registry: create, update, delete, the gateway token, and whoami. Each change is
// audited (never with a credential), published, and signalled when address or credentials moved.
import { DEFAULT_AGENT_ID, TeammateCreate, TeammateUpdate } from "../../shared/api/teammates.ts";
import { ApiError } from "../errors.ts";
import type { RegistryContext } from "./context.ts";
import { MY_HANDLE_SETTING, type Lookups } from "./lookups.ts";
import type { Editable } from "./queries.ts";
import type { Registry, TeammateRecord } from "./types.ts";
import { validateGatewayUrl } from "./url.ts";

function zodToApi<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string; code: string }[] } } }, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiError("VALIDATION_FAILED", "Invalid teammate", {
    issues: r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })),
  });
}

const editable = (r: TeammateRecord): Editable => ({
  name: r.name,
  displayName: r.displayName,
  note: r.note,
  gatewayUrl: r.gatewayUrl,
  hostname: r.hostname,
  tlsFingerprint: r.tlsFingerprint,
  tags: r.tags,
});

export function createCrud(
  { sql, q, vault, now, changed, publish, auditChange }: RegistryContext,
  { rowByHandle, mustGet, read }: Lookups,
): Pick<Registry, "create" | "update" | "remove" | "setToken" | "removeToken" | "setMe"> {
  /** The row as written a moment ago, in the same transaction or right after it. */
  const written = (id: number): TeammateRecord => {
    const rec = q.byId(id);
    if (!rec) throw new Error(`teammate ${id} is gone right after it was written`);
    return rec;
  };
  return {
    create(input, actor) {
      const data = zodToApi(TeammateCreate, input);
      let gatewayUrl = data.gatewayUrl ?? null;
      let tlsFingerprint = data.tlsFingerprint ?? null;
      if (gatewayUrl) ({ url: gatewayUrl, tlsFingerprint } = validateGatewayUrl(gatewayUrl, tlsFingerprint));
      else if (tlsFingerprint) throw new ApiError("VALIDATION_FAILED", "A TLS fingerprint needs a wss:// gateway URL");
      const run = sql.transaction(() => {
        if (rowByHandle(data.handle)) throw new ApiError("HANDLE_TAKEN", `The handle "${data.handle}" is taken`, { handle: data.handle });
        const t = now();
        const id = q.insert({
          handle: data.handle,
          name: data.name,
          displayName: data.displayName ?? null,
          note: data.note ?? null,
          gatewayUrl,
          hostname: data.hostname ?? null,
          tlsFingerprint,
          agentId: data.agentId ?? DEFAULT_AGENT_ID,
          agentEmoji: data.agentEmoji ?? null,
          tags: data.tags ?? [],
          createdAt: t,
          updatedAt: t,
        });
        if (data.token) vault.put(id, "gateway_token", data.token);
        return written(id);
      });
      const rec = run.immediate();
      auditChange(actor, "registry", rec, { action: "create", handle: rec.handle, name: rec.name, gatewayUrl: rec.gatewayUrl, tags: rec.tags, tokenSet: Boolean(data.token) });
      if (data.token) auditChange(actor, "credential", rec, { action: "set", credential: "gateway_token" });
      publish(rec.handle);
      // with a token (and an address) it is checked at once, in the background
      if (data.token || rec.gatewayUrl) changed(rec.id, { tokenSet: false, check: Boolean(data.token && rec.gatewayUrl), actor });
      return rec;
    },
    update(handle, patch, actor) {
      const data = zodToApi(TeammateUpdate, patch);
      const cur = mustGet(handle);
      const next: Editable = {
        name: data.name ?? cur.name,
        displayName: data.displayName === undefined ? cur.displayName : data.displayName,
        note: data.note === undefined ? cur.note : data.note,
        gatewayUrl: data.gatewayUrl === undefined ? cur.gatewayUrl : data.gatewayUrl || null,
        hostname: data.hostname === undefined ? cur.hostname : data.hostname,
        tlsFingerprint: data.tlsFingerprint === undefined ? cur.tlsFingerprint : data.tlsFingerprint || null,
        agentId: data.agentId ?? cur.agentId,
        agentEmoji: data.agentEmoji === undefined ? cur.agentEmoji : data.agentEmoji,
        tags: data.tags ?? cur.tags,
      };
      if (next.gatewayUrl) {
        const v = validateGatewayUrl(next.gatewayUrl, next.tlsFingerprint);
        next.gatewayUrl = v.url;
        next.tlsFingerprint = v.tlsFingerprint;
      } else if (next.tlsFingerprint) {
        throw new ApiError("VALIDATION_FAILED", "A TLS fingerprint needs a wss:// gateway URL");
      }
      const fields = (["name", "displayName", "note", "gatewayUrl", "hostname", "tlsFingerprint", "agentId", "agentEmoji"] as const).filter((k) => next[k] !== cur[k]) as (keyof Editable)[];
      if (next.tags.join(",") !== cur.tags.join(",")) fields.push("tags");
      if (!fields.length) return cur;
      const addressChanged = fields.includes("gatewayUrl") || fields.includes("tlsFingerprint") || fields.includes("agentId");
      // The device token was issued by the gateway at the old URL and grants this dashboard's
      // device its scopes there: it must not be presented to whatever answers at the new URL.
      // (The same gateway at a new address re-issues it to the approved device on connect.)
      const dropDeviceToken = fields.includes("gatewayUrl") && vault.info(cur.id, "device_token") !== null;
      sql.transaction(() => {
        // at another address this entry no longer shares the source's gateway connection
        q.update(cur.id, { ...next, ...(addressChanged ? { credentialsFrom: null } : {}), updatedAt: now() });
        if (addressChanged) q.clearStatus(cur.id);
        if (dropDeviceToken) vault.remove(cur.id, "device_token");
      }).immediate();
      const rec = written(cur.id);
      auditChange(actor, "registry", rec, {
        action: "update",
        handle: rec.handle,
        changed: fields,
        ...(fields.includes("gatewayUrl") ? { gatewayUrlBefore: cur.gatewayUrl, gatewayUrlAfter: rec.gatewayUrl } : {}),
        ...(fields.includes("tags") ? { tagsBefore: cur.tags, tagsAfter: rec.tags } : {}),
        ...(dropDeviceToken ? { deviceTokenDropped: true } : {}),
      });
      publish(rec.handle);
      // a new address of a teammate with credentials is checked at once
      if (addressChanged) changed(rec.id, { tokenSet: false, check: Boolean(rec.gatewayUrl) && (vault.info(rec.id, "gateway_token") !== null || vault.info(rec.id, "device_token") !== null), actor });
      return rec;
    },
    remove(handle, actor) {
      const cur = mustGet(handle);
      q.remove(cur.id); // cascades: credentials, status, history
      auditChange(actor, "registry", cur, { action: "delete", handle: cur.handle, name: cur.name });
      publish(cur.handle);
      changed(cur.id);
    },
    setToken(handle, token, actor) {
      const rec = mustGet(handle);
      if (!token || token.length > 4096) throw new ApiError("VALIDATION_FAILED", "token: 1-4096 characters");
      vault.put(rec.id, "gateway_token", token);
      // its own token from now on: stop connecting with the entry it was added from
      if (rec.credentialsFrom !== null) q.update(rec.id, { ...editable(rec), credentialsFrom: null, updatedAt: now() });
      q.clearStatus(rec.id);
      auditChange(actor, "credential", rec, { action: "set", credential: "gateway_token" });
      publish(rec.handle);
      changed(rec.id, { tokenSet: true, actor });
      return rec;
    },
    removeToken(handle, actor) {
      const rec = mustGet(handle);
      const had = vault.info(rec.id, "gateway_token") !== null;
      vault.remove(rec.id, "gateway_token");
      if (rec.credentialsFrom !== null) q.update(rec.id, { ...editable(rec), credentialsFrom: null, updatedAt: now() });
      q.clearStatus(rec.id);
      auditChange(actor, "credential", rec, { action: "remove", credential: "gateway_token", wasSet: had });
      publish(rec.handle);
      changed(rec.id);
    },
    setMe(handle, actor) {
      const before = read.me();
      if (handle === null || handle.trim() === "") {
        q.deleteSetting(MY_HANDLE_SETTING);
        auditChange(actor, "settings", null, { action: "whoami", setting: MY_HANDLE_SETTING, before: before?.handle ?? null, after: null, effective: read.me()?.handle ?? null });
        return;
      }
      const rec = read.resolve(handle);
      q.setSetting(MY_HANDLE_SETTING, rec.handle, now());
      auditChange(actor, "settings", rec, { action: "whoami", setting: MY_HANDLE_SETTING, before: before?.handle ?? null, after: rec.handle, effective: read.me()?.handle ?? null });
      publish(null);
    },
  };
}
