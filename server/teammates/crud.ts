// Changing the registry: create, update, delete, the gateway token, and whoami. Each change is
// audited (never with a credential), published, and signalled when address or credentials moved.
import { TeammateCreate, TeammateUpdate } from "../../shared/api/teammates.ts";
import { ApiError } from "../errors.ts";
import type { RegistryContext } from "./context.ts";
import { MY_HANDLE_SETTING, type Lookups } from "./lookups.ts";
import { toRecord, type Row } from "./records.ts";
import type { Registry } from "./types.ts";
import { validateGatewayUrl } from "./url.ts";

function zodToApi<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string; code: string }[] } } }, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiError("VALIDATION_FAILED", "Invalid teammate", {
    issues: r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })),
  });
}

export function createCrud(
  { sql, q, vault, now, changed, publish, auditChange }: RegistryContext,
  { rowByHandle, mustGet, read }: Lookups,
): Pick<Registry, "create" | "update" | "remove" | "setToken" | "removeToken" | "setMe"> {
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
        const res = q.insert.run({
          handle: data.handle,
          name: data.name,
          display_name: data.displayName ?? null,
          note: data.note ?? null,
          gateway_url: gatewayUrl,
          hostname: data.hostname ?? null,
          tls_fingerprint: tlsFingerprint,
          created_at: t,
          updated_at: t,
        });
        const id = Number(res.lastInsertRowid);
        if (data.token) vault.put(id, "gateway_token", data.token);
        return toRecord(q.byId.get(id) as Row);
      });
      const rec = run.immediate();
      auditChange(actor, "registry", rec, { action: "create", handle: rec.handle, name: rec.name, gatewayUrl: rec.gatewayUrl, tokenSet: Boolean(data.token) });
      if (data.token) auditChange(actor, "credential", rec, { action: "set", credential: "gateway_token" });
      publish(rec.handle);
      if (data.token || rec.gatewayUrl) changed(rec.id);
      return rec;
    },
    update(handle, patch, actor) {
      const data = zodToApi(TeammateUpdate, patch);
      const cur = mustGet(handle);
      const next = {
        name: data.name ?? cur.name,
        display_name: data.displayName === undefined ? cur.display_name : data.displayName,
        note: data.note === undefined ? cur.note : data.note,
        gateway_url: data.gatewayUrl === undefined ? cur.gateway_url : data.gatewayUrl || null,
        hostname: data.hostname === undefined ? cur.hostname : data.hostname,
        tls_fingerprint: data.tlsFingerprint === undefined ? cur.tls_fingerprint : data.tlsFingerprint || null,
      };
      if (next.gateway_url) {
        const v = validateGatewayUrl(next.gateway_url, next.tls_fingerprint);
        next.gateway_url = v.url;
        next.tls_fingerprint = v.tlsFingerprint;
      } else if (next.tls_fingerprint) {
        throw new ApiError("VALIDATION_FAILED", "A TLS fingerprint needs a wss:// gateway URL");
      }
      const fields = (["name", "display_name", "note", "gateway_url", "hostname", "tls_fingerprint"] as const).filter((k) => next[k] !== cur[k]);
      if (!fields.length) return toRecord(cur);
      const addressChanged = fields.includes("gateway_url") || fields.includes("tls_fingerprint");
      // The device token was issued by the gateway at the old URL and grants this dashboard's
      // device its scopes there: it must not be presented to whatever answers at the new URL.
      // (The same gateway at a new address re-issues it to the approved device on connect.)
      const dropDeviceToken = fields.includes("gateway_url") && vault.info(cur.id, "device_token") !== null;
      sql.transaction(() => {
        q.update.run({ id: cur.id, ...next, updated_at: now() });
        if (addressChanged) q.clearStatus.run(cur.id);
        if (dropDeviceToken) vault.remove(cur.id, "device_token");
      }).immediate();
      const rec = toRecord(q.byId.get(cur.id) as Row);
      const camel: Record<string, string> = { display_name: "displayName", gateway_url: "gatewayUrl", tls_fingerprint: "tlsFingerprint" };
      auditChange(actor, "registry", rec, {
        action: "update",
        handle: rec.handle,
        changed: fields.map((f) => camel[f] ?? f),
        ...(fields.includes("gateway_url") ? { gatewayUrlBefore: cur.gateway_url, gatewayUrlAfter: rec.gatewayUrl } : {}),
        ...(dropDeviceToken ? { deviceTokenDropped: true } : {}),
      });
      publish(rec.handle);
      if (addressChanged) changed(rec.id);
      return rec;
    },
    remove(handle, actor) {
      const cur = mustGet(handle);
      q.remove.run(cur.id); // cascades: credentials, status, history
      auditChange(actor, "registry", toRecord(cur), { action: "delete", handle: cur.handle, name: cur.name });
      publish(cur.handle);
      changed(cur.id);
    },
    setToken(handle, token, actor) {
      const cur = mustGet(handle);
      if (!token || token.length > 4096) throw new ApiError("VALIDATION_FAILED", "token: 1-4096 characters");
      vault.put(cur.id, "gateway_token", token);
      q.clearStatus.run(cur.id);
      const rec = toRecord(cur);
      auditChange(actor, "credential", rec, { action: "set", credential: "gateway_token" });
      publish(rec.handle);
      changed(rec.id, { tokenSet: true, actor });
      return rec;
    },
    removeToken(handle, actor) {
      const cur = mustGet(handle);
      const had = vault.info(cur.id, "gateway_token") !== null;
      vault.remove(cur.id, "gateway_token");
      q.clearStatus.run(cur.id);
      const rec = toRecord(cur);
      auditChange(actor, "credential", rec, { action: "remove", credential: "gateway_token", wasSet: had });
      publish(rec.handle);
      changed(rec.id);
    },
    setMe(handle, actor) {
      const before = read.me();
      if (handle === null || handle.trim() === "") {
        q.deleteSetting.run(MY_HANDLE_SETTING);
        auditChange(actor, "settings", null, { action: "whoami", setting: MY_HANDLE_SETTING, before: before?.handle ?? null, after: null, effective: read.me()?.handle ?? null });
        return;
      }
      const rec = read.resolve(handle);
      q.setSetting.run(MY_HANDLE_SETTING, rec.handle, now());
      auditChange(actor, "settings", rec, { action: "whoami", setting: MY_HANDLE_SETTING, before: before?.handle ?? null, after: rec.handle, effective: read.me()?.handle ?? null });
      publish(null);
    },
  };
}
