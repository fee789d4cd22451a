// The teammate registry: CRUD, name resolution, credentials (through the vault), whoami, probe
// status, legacy import and sync. Every change is audited; no credential is ever written to the
// audit trail, a log line or a response.
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import {
  LegacyRegistryFile,
  TeammateCreate,
  TeammateUpdate,
  type ImportReport,
  type SyncReport,
  type Teammate,
  type TeammateStatus,
} from "../../shared/api/teammates.ts";
import { approveCommand } from "../../shared/pairing.ts";
import type { AuditLog } from "../audit/types.ts";
import type { Config } from "../config.ts";
import type { Db } from "../db/connection.ts";
import type { EventBus } from "../events/types.ts";
import { checkGatewayUrl, gatewayAddressKey, isTrustedPlaintextHost } from "../gateway/url-policy.ts";
import { ApiError } from "../errors.ts";
import { fetchFailure } from "../http/fetch-failure.ts";
import type { Logger } from "../logger.ts";
import type { CredentialInfo, CredentialKind, Vault } from "../vault/types.ts";
import { parseLegacyRegistry, tokensByHandle, type LegacyTeammate } from "./legacy.ts";
import type { Registry, TeammateRecord } from "./types.ts";
import { isoOrNull as iso } from "../db/time.ts";

export const MY_HANDLE_SETTING = "my_handle";
export const STATUS_HISTORY_KEEP = 200;
const SYNC_MAX_BYTES = 5 * 1024 * 1024;

export interface RegistryOptions {
  db: Db;
  config: Pick<Config, "myHandle" | "registryUrl">;
  vault: Vault;
  audit: Pick<AuditLog, "append">;
  logger?: Pick<Logger, "info" | "warn" | "error">;
  bus?: Pick<EventBus, "publish">;
  /**
   * URL, certificate pin or token of a teammate changed (or it was deleted): drop pooled
   * connections. `tokenSet`: a token was just set (PUT .../token), which should connect at once
   * so pairing shows up without a manual check.
   */
  onCredentialsChanged?: (teammateId: number, change: { tokenSet: boolean; actor: string }) => void;
  /** Timeout of a sync download (default 10 s). */
  syncTimeoutMs?: number;
  now?: () => number;
}

export interface MeshRegistry extends Registry {
  history(teammateId: number, limit?: number): { at: string; state: string; latencyMs: number | null; errorCode: string | null }[];
  /** Bulk toApi for list pages (one query for every credential). */
  toApiMany(records: TeammateRecord[]): Teammate[];
}

interface Row {
  id: number;
  handle: string;
  name: string;
  display_name: string | null;
  note: string | null;
  gateway_url: string | null;
  hostname: string | null;
  tls_fingerprint: string | null;
  created_at: number;
  updated_at: number;
}

interface StatusRow {
  state: string;
  checked_at: number | null;
  last_seen_at: number | null;
  latency_ms: number | null;
  version: string | null;
  scopes: string | null;
  error_code: string | null;
  error_message: string | null;
  pairing_request_id: string | null;
}


/** A stored pairing request id becomes a command only in OpenClaw's format (rows from before the check included). */
function pairingOf(requestId: string): { requestId: string; approveCommand: string } | null {
  const command = approveCommand(requestId);
  return command ? { requestId, approveCommand: command } : null;
}

function toRecord(r: Row): TeammateRecord {
  return {
    id: r.id,
    handle: r.handle,
    name: r.name,
    displayName: r.display_name,
    note: r.note,
    gatewayUrl: r.gateway_url,
    hostname: r.hostname,
    tlsFingerprint: r.tls_fingerprint,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function zodToApi<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string; code: string }[] } } }, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiError("VALIDATION_FAILED", "Invalid teammate", {
    issues: r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })),
  });
}

/** Validates a gateway URL + pin; 400 INSECURE_GATEWAY_URL with the policy's message otherwise. */
export function validateGatewayUrl(url: string, tlsFingerprint: string | null): { url: string; tlsFingerprint: string | null } {
  const check = checkGatewayUrl(url, { tlsFingerprint });
  if (!check.ok) throw new ApiError("INSECURE_GATEWAY_URL", check.message, { gatewayUrl: redactUrl(url) });
  return { url: check.url, tlsFingerprint: check.tlsFingerprint };
}

/** A URL as safe to show: no user info, no query, no fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

export function createRegistry(opts: RegistryOptions): MeshRegistry {
  const sql = opts.db.$client;
  const { vault, audit } = opts;
  const now = opts.now ?? Date.now;
  const changed = (id: number, change: { tokenSet: boolean; actor: string } = { tokenSet: false, actor: "system" }) => {
    try {
      opts.onCredentialsChanged?.(id, change);
    } catch (err) {
      opts.logger?.warn({ err, teammateId: id }, "onCredentialsChanged failed");
    }
  };
  const publish = (handle: string | null) => {
    try {
      opts.bus?.publish({ type: "teammates.changed", handle });
    } catch {
      /* a listener's failure is not the registry's */
    }
  };

  const q = {
    all: sql.prepare("select * from teammates order by handle"),
    byHandle: sql.prepare("select * from teammates where handle = ?"),
    byId: sql.prepare("select * from teammates where id = ?"),
    insert: sql.prepare(
      `insert into teammates(handle, name, display_name, note, gateway_url, hostname, tls_fingerprint, created_at, updated_at)
       values (@handle, @name, @display_name, @note, @gateway_url, @hostname, @tls_fingerprint, @created_at, @updated_at)`,
    ),
    update: sql.prepare(
      `update teammates set name = @name, display_name = @display_name, note = @note, gateway_url = @gateway_url,
        hostname = @hostname, tls_fingerprint = @tls_fingerprint, updated_at = @updated_at where id = @id`,
    ),
    remove: sql.prepare("delete from teammates where id = ?"),
    status: sql.prepare("select * from teammate_status where teammate_id = ?"),
    statuses: sql.prepare("select * from teammate_status"),
    clearStatus: sql.prepare("delete from teammate_status where teammate_id = ?"),
    upsertStatus: sql.prepare(
      `insert into teammate_status(teammate_id, state, checked_at, last_seen_at, latency_ms, version, scopes, error_code, error_message, pairing_request_id)
       values (@teammate_id, @state, @checked_at, @last_seen_at, @latency_ms, @version, @scopes, @error_code, @error_message, @pairing_request_id)
       on conflict(teammate_id) do update set state = excluded.state, checked_at = excluded.checked_at, last_seen_at = excluded.last_seen_at,
         latency_ms = excluded.latency_ms, version = excluded.version, scopes = excluded.scopes, error_code = excluded.error_code,
         error_message = excluded.error_message, pairing_request_id = excluded.pairing_request_id`,
    ),
    addHistory: sql.prepare("insert into status_history(teammate_id, at, state, latency_ms, error_code) values (?, ?, ?, ?, ?)"),
    pruneHistory: sql.prepare(
      `delete from status_history where teammate_id = ? and id not in
        (select id from status_history where teammate_id = ? order by id desc limit ${STATUS_HISTORY_KEEP})`,
    ),
    history: sql.prepare("select at, state, latency_ms, error_code from status_history where teammate_id = ? order by id desc limit ?"),
    getSetting: sql.prepare("select value from settings where key = ?"),
    setSetting: sql.prepare(
      "insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at",
    ),
    deleteSetting: sql.prepare("delete from settings where key = ?"),
  };

  const rowByHandle = (handle: string) => q.byHandle.get(handle.trim().toLowerCase()) as Row | undefined;
  function mustGet(handle: string): Row {
    const r = rowByHandle(handle);
    if (!r) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate with handle "${handle}"`, { handle });
    return r;
  }

  function buildStatus(rec: TeammateRecord, creds: Partial<Record<CredentialKind, CredentialInfo>>, s: StatusRow | undefined): TeammateStatus {
    const hasCred = Boolean(creds.gateway_token || creds.device_token);
    const state: TeammateStatus["state"] = !rec.gatewayUrl
      ? "no_address"
      : !hasCred
        ? "no_credentials"
        : ((s?.state as TeammateStatus["state"] | undefined) ?? "unknown");
    let scopes: string[] | null = null;
    if (s?.scopes) {
      try {
        const parsed = JSON.parse(s.scopes) as unknown;
        scopes = Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : null;
      } catch {
        scopes = null;
      }
    }
    const live = state === s?.state;
    return {
      state,
      checkedAt: iso(s?.checked_at),
      lastSeenAt: iso(s?.last_seen_at),
      latencyMs: s?.latency_ms ?? null,
      version: s?.version ?? null,
      scopes,
      error: live && s?.error_code ? { code: s.error_code, message: s.error_message ?? "" } : null,
      pairing: live && state === "pairing_required" && s?.pairing_request_id ? pairingOf(s.pairing_request_id) : null,
    };
  }

  function me(): { handle: string; source: "env" | "setting" } | null {
    if (opts.config.myHandle) return { handle: opts.config.myHandle.toLowerCase(), source: "env" };
    const row = q.getSetting.get(MY_HANDLE_SETTING) as { value: string } | undefined;
    return row ? { handle: row.value, source: "setting" } : null;
  }

  /** Handles per normalized gateway address, for the shared-gateway warning. */
  function handlesByGateway(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of q.all.all() as Row[]) {
      if (!r.gateway_url) continue;
      const key = gatewayAddressKey(r.gateway_url);
      out.set(key, [...(out.get(key) ?? []), r.handle]);
    }
    return out;
  }
  const sharedWith = (rec: TeammateRecord, byGateway: Map<string, string[]>) =>
    rec.gatewayUrl ? (byGateway.get(gatewayAddressKey(rec.gatewayUrl)) ?? []).filter((h) => h !== rec.handle) : [];

  function toApiWith(
    rec: TeammateRecord,
    creds: Partial<Record<CredentialKind, CredentialInfo>>,
    s: StatusRow | undefined,
    myHandle: string | null,
    byGateway: Map<string, string[]>,
  ): Teammate {
    const token = creds.gateway_token;
    const device = creds.device_token;
    return {
      handle: rec.handle,
      name: rec.name,
      displayName: rec.displayName,
      note: rec.note,
      gatewayUrl: rec.gatewayUrl,
      hostname: rec.hostname,
      tlsFingerprint: rec.tlsFingerprint,
      isMe: myHandle !== null && rec.handle === myHandle,
      credential: { set: Boolean(token), setAt: iso(token?.setAt), lastUsedAt: iso(token?.lastUsedAt) },
      device: { paired: Boolean(device), pairedAt: iso(device?.setAt) },
      status: buildStatus(rec, creds, s),
      sharedGatewayWith: sharedWith(rec, byGateway),
      createdAt: new Date(rec.createdAt).toISOString(),
      updatedAt: new Date(rec.updatedAt).toISOString(),
    };
  }

  function credsOf(id: number): Partial<Record<CredentialKind, CredentialInfo>> {
    const out: Partial<Record<CredentialKind, CredentialInfo>> = {};
    for (const kind of ["gateway_token", "device_token"] as const) {
      const info = vault.info(id, kind);
      if (info) out[kind] = info;
    }
    return out;
  }

  function auditChange(actor: string, kind: "registry" | "credential" | "settings", rec: { handle: string; gatewayUrl: string | null } | null, details: Record<string, unknown>) {
    audit.append({ actor, kind, outcome: "ok", teammate: rec?.handle ?? null, gatewayUrl: rec?.gatewayUrl ?? null, details });
  }

  /** Import/sync core: upserts entries (never deletes) inside the caller's transaction. */
  function applyEntries(entries: LegacyTeammate[], tokens: Map<string, string>, report: ImportReport, touched: Set<number>) {
    const t = now();
    for (const e of entries) {
      const existing = rowByHandle(e.handle);
      if (!existing) {
        const res = q.insert.run({
          handle: e.handle,
          name: e.name,
          display_name: e.displayName,
          note: e.note,
          gateway_url: e.gatewayUrl,
          hostname: e.hostname,
          tls_fingerprint: null,
          created_at: t,
          updated_at: t,
        });
        report.created.push(e.handle);
        touched.add(Number(res.lastInsertRowid));
      } else {
        // the source owns the fields it gives; it never erases what it does not give
        const next = {
          name: e.name,
          display_name: e.displayName ?? existing.display_name,
          note: e.note ?? existing.note,
          gateway_url: e.gatewayUrl ?? existing.gateway_url,
          hostname: e.hostname ?? existing.hostname,
        };
        const differs =
          next.name !== existing.name ||
          next.display_name !== existing.display_name ||
          next.note !== existing.note ||
          next.gateway_url !== existing.gateway_url ||
          next.hostname !== existing.hostname;
        if (differs) {
          const urlChanged = next.gateway_url !== existing.gateway_url;
          q.update.run({ id: existing.id, ...next, tls_fingerprint: urlChanged ? null : existing.tls_fingerprint, updated_at: t });
          if (urlChanged) {
            q.clearStatus.run(existing.id);
            vault.remove(existing.id, "device_token"); // issued by the gateway at the old address
            touched.add(existing.id);
          }
          report.updated.push(e.handle);
        } else report.unchanged.push(e.handle);
      }
    }
    for (const [handle, token] of tokens) {
      const row = rowByHandle(handle);
      if (!row) {
        report.skipped.push({ handle, reason: "token for a teammate that is not in the registry" });
        continue;
      }
      let current: string | null;
      try {
        current = vault.get(row.id, "gateway_token");
      } catch {
        current = null; // unreadable: replace it
      }
      if (current !== token) {
        vault.put(row.id, "gateway_token", token);
        report.tokensSet.push(handle);
        touched.add(row.id);
      }
    }
  }

  async function loadSource(source: string): Promise<unknown> {
    let text: string;
    if (/^https?:\/\//i.test(source)) {
      const url = new URL(source);
      if (url.protocol === "http:" && !isTrustedPlaintextHost(url.hostname)) {
        throw new ApiError("SYNC_FAILED", `Registry URL must use https:// (plain http only to loopback/private addresses): ${redactUrl(source)}`);
      }
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(opts.syncTimeoutMs ?? 10_000), redirect: "follow", headers: { accept: "application/json" } });
      } catch (err) {
        // never err.message as is: fetch quotes the URL in it, user:password@ included
        const reason = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? "timed out" : err instanceof Error ? fetchFailure(err, source) : "failed";
        throw new ApiError("SYNC_FAILED", `Could not download the registry from ${redactUrl(source)}: ${reason}`);
      }
      if (!res.ok) throw new ApiError("SYNC_FAILED", `Registry download from ${redactUrl(source)} answered HTTP ${res.status}`);
      const len = Number(res.headers.get("content-length") ?? "0");
      const tooLarge = () => new ApiError("SYNC_FAILED", `Registry at ${redactUrl(source)} is larger than ${SYNC_MAX_BYTES} bytes`);
      if (len > SYNC_MAX_BYTES) throw tooLarge();
      // read at most SYNC_MAX_BYTES, also without a Content-Length (chunked): never buffer more
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (res.body) {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > SYNC_MAX_BYTES) {
            await reader.cancel().catch(() => undefined);
            throw tooLarge();
          }
          chunks.push(value);
        }
      }
      text = Buffer.concat(chunks).toString("utf8");
    } else {
      const path = source.startsWith("file://") ? fileURLToPath(source) : isAbsolute(source) ? source : resolvePath(source);
      try {
        text = await readFile(path, "utf8");
      } catch (err) {
        throw new ApiError("SYNC_FAILED", `Could not read the registry file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    if (text.length > SYNC_MAX_BYTES) throw new ApiError("SYNC_FAILED", `Registry source is larger than ${SYNC_MAX_BYTES} bytes`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiError("SYNC_FAILED", `Registry source ${redactUrl(source) === "(invalid URL)" ? source : redactUrl(source)} is not valid JSON`);
    }
  }

  const registry: MeshRegistry = {
    list: () => (q.all.all() as Row[]).map(toRecord),
    byHandle(handle) {
      const r = rowByHandle(handle);
      return r ? toRecord(r) : null;
    },
    byId(id) {
      const r = q.byId.get(id) as Row | undefined;
      return r ? toRecord(r) : null;
    },
    resolve(to) {
      const needle = to.trim().toLowerCase();
      if (!needle) throw new ApiError("TEAMMATE_NOT_FOUND", "No teammate given");
      const exact = rowByHandle(needle);
      if (exact) return toRecord(exact);
      const all = registry.list();
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
    hasToken: (id) => vault.info(id, "gateway_token") !== null || vault.info(id, "device_token") !== null,
    me,
    setMe(handle, actor) {
      const before = me();
      if (handle === null || handle.trim() === "") {
        q.deleteSetting.run(MY_HANDLE_SETTING);
        auditChange(actor, "settings", null, { action: "whoami", setting: MY_HANDLE_SETTING, before: before?.handle ?? null, after: null, effective: me()?.handle ?? null });
        return;
      }
      const rec = registry.resolve(handle);
      q.setSetting.run(MY_HANDLE_SETTING, rec.handle, now());
      auditChange(actor, "settings", rec, { action: "whoami", setting: MY_HANDLE_SETTING, before: before?.handle ?? null, after: rec.handle, effective: me()?.handle ?? null });
      publish(null);
    },
    recordProbe(teammateId, result) {
      const t = now();
      const prev = q.status.get(teammateId) as StatusRow | undefined;
      const state = result.state as string;
      sql.transaction(() => {
        q.upsertStatus.run({
          teammate_id: teammateId,
          state,
          checked_at: t,
          last_seen_at: state === "online" ? t : (prev?.last_seen_at ?? null),
          latency_ms: Number.isFinite(result.latencyMs) ? Math.round(result.latencyMs) : null,
          version: result.version ?? prev?.version ?? null,
          scopes: result.scopes ? JSON.stringify(result.scopes) : state === "online" ? null : (prev?.scopes ?? null),
          error_code: result.error?.code ?? null,
          error_message: result.error?.message?.slice(0, 1000) ?? null,
          pairing_request_id: result.pairing?.requestId ?? null,
        });
        q.addHistory.run(teammateId, t, state, Number.isFinite(result.latencyMs) ? Math.round(result.latencyMs) : null, result.error?.code ?? null);
        q.pruneHistory.run(teammateId, teammateId);
      }).immediate();
      const row = q.byId.get(teammateId) as Row | undefined;
      if (!row) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate with id ${teammateId}`);
      return registry.toApi(toRecord(row)).status;
    },
    toApi(rec) {
      return toApiWith(rec, credsOf(rec.id), q.status.get(rec.id) as StatusRow | undefined, me()?.handle ?? null, handlesByGateway());
    },
    toApiMany(records) {
      const creds = vault.infoAll();
      const statuses = new Map((q.statuses.all() as (StatusRow & { teammate_id: number })[]).map((s) => [s.teammate_id, s]));
      const my = me()?.handle ?? null;
      const byGateway = handlesByGateway();
      return records.map((r) => toApiWith(r, creds.get(r.id) ?? {}, statuses.get(r.id), my, byGateway));
    },
    history(teammateId, limit = STATUS_HISTORY_KEEP) {
      return (q.history.all(teammateId, limit) as { at: number; state: string; latency_ms: number | null; error_code: string | null }[]).map((h) => ({
        at: new Date(h.at).toISOString(),
        state: h.state,
        latencyMs: h.latency_ms,
        errorCode: h.error_code,
      }));
    },
    importLegacy(input, actor) {
      const registryFile = LegacyRegistryFile.safeParse(input?.registry);
      if (!registryFile.success) {
        throw new ApiError("IMPORT_INVALID", "registry is not an agent-team-mesh registry.json ({agents: [{emailPrefix, ...}]})", {
          issues: registryFile.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
        });
      }
      const parsed = parseLegacyRegistry(registryFile.data);
      const report: ImportReport = { created: [], updated: [], unchanged: [], skipped: [...parsed.skipped], tokensSet: [] };
      const touched = new Set<number>();
      sql.transaction(() => applyEntries(parsed.entries, tokensByHandle(input.tokens?.tokens), report, touched)).immediate();
      audit.append({
        actor,
        kind: "registry",
        outcome: "ok",
        details: { action: "import", created: report.created, updated: report.updated, unchanged: report.unchanged.length, skipped: report.skipped, tokensSet: report.tokensSet },
      });
      if (report.created.length || report.updated.length || report.tokensSet.length) publish(null);
      for (const id of touched) changed(id);
      return report;
    },
    async sync(actor) {
      const source = opts.config.registryUrl;
      if (!source) throw new ApiError("SYNC_NOT_CONFIGURED", "No registry source configured (set MESH_REGISTRY_URL to an https URL or a file path)");
      const shown = /^https?:\/\//i.test(source) ? redactUrl(source) : source;
      try {
        const raw = await loadSource(source);
        const file = LegacyRegistryFile.safeParse(raw);
        if (!file.success) throw new ApiError("SYNC_FAILED", `Registry source ${shown} is not an agent-team-mesh registry.json ({agents: [{emailPrefix, ...}]})`);
        const parsed = parseLegacyRegistry(file.data);
        const report: SyncReport = { created: [], updated: [], unchanged: [], skipped: [...parsed.skipped], tokensSet: [], missing: [], source: shown, at: new Date(now()).toISOString() };
        const touched = new Set<number>();
        sql.transaction(() => applyEntries(parsed.entries, new Map(), report, touched)).immediate();
        const inSource = new Set(parsed.entries.map((e) => e.handle));
        for (const s of parsed.skipped) if (s.handle) inSource.add(s.handle);
        report.missing = registry.list().map((t) => t.handle).filter((h) => !inSource.has(h));
        audit.append({
          actor,
          kind: "sync",
          outcome: "ok",
          details: { source: shown, created: report.created, updated: report.updated, unchanged: report.unchanged.length, skipped: report.skipped, missing: report.missing },
        });
        if (report.created.length || report.updated.length) publish(null);
        for (const id of touched) changed(id);
        return report;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        audit.append({ actor, kind: "sync", outcome: "failed", errorCode: err instanceof ApiError ? err.code : "SYNC_FAILED", errorMessage: message, details: { source: shown } });
        if (err instanceof ApiError) throw err;
        throw new ApiError("SYNC_FAILED", `Sync from ${shown} failed: ${message}`);
      }
    },
  };
  return registry;
}

/** Periodic sync (MESH_SYNC_INTERVAL); returns a stop function. The timer never keeps the process alive. */
export function startSyncTimer(deps: {
  registry: Pick<Registry, "sync">;
  config: Pick<Config, "syncIntervalSec" | "registryUrl">;
  logger?: Pick<Logger, "info" | "warn">;
}): () => void {
  const sec = deps.config.syncIntervalSec;
  if (!sec || !deps.config.registryUrl) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deps.registry
      .sync("system")
      .then((r) => {
        if (r.created.length || r.updated.length) deps.logger?.info({ created: r.created, updated: r.updated, missing: r.missing }, "registry sync changed teammates");
      })
      .catch((err: unknown) => deps.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "registry sync failed"))
      .finally(() => {
        running = false;
      });
  }, sec * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
