// Bringing teammates in from an agent-team-mesh registry.json: a one-off import (with tokens)
// or a sync from MESH_REGISTRY_URL (file or https), by hand or on a timer. Upserts, never deletes.
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { LegacyRegistryFile, type ImportReport, type SyncReport } from "../../shared/api/teammates.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { isTrustedPlaintextHost } from "../gateway/url-policy.ts";
import { fetchFailure } from "../http/fetch-failure.ts";
import type { Logger } from "../logger.ts";
import type { RegistryContext } from "./context.ts";
import { parseLegacyRegistry, tokensByHandle, type LegacyTeammate } from "./legacy.ts";
import type { Lookups } from "./lookups.ts";
import type { Registry } from "./types.ts";
import { redactUrl } from "./url.ts";

const SYNC_MAX_BYTES = 5 * 1024 * 1024;

/** Import/sync core: upserts entries (never deletes) inside the caller's transaction. */
function applyEntries({ q, vault, now }: RegistryContext, { rowByHandle }: Lookups, entries: LegacyTeammate[], tokens: Map<string, string>, report: ImportReport, touched: Set<number>) {
  const t = now();
  for (const e of entries) {
    const existing = rowByHandle(e.handle);
    if (!existing) {
      const id = q.insert({
        handle: e.handle,
        name: e.name,
        displayName: e.displayName,
        note: e.note,
        gatewayUrl: e.gatewayUrl,
        hostname: e.hostname,
        tlsFingerprint: null,
        createdAt: t,
        updatedAt: t,
      });
      report.created.push(e.handle);
      touched.add(id);
    } else {
      // the source owns the fields it gives; it never erases what it does not give
      const next = {
        name: e.name,
        displayName: e.displayName ?? existing.displayName,
        note: e.note ?? existing.note,
        gatewayUrl: e.gatewayUrl ?? existing.gatewayUrl,
        hostname: e.hostname ?? existing.hostname,
      };
      const differs =
        next.name !== existing.name ||
        next.displayName !== existing.displayName ||
        next.note !== existing.note ||
        next.gatewayUrl !== existing.gatewayUrl ||
        next.hostname !== existing.hostname;
      if (differs) {
        const urlChanged = next.gatewayUrl !== existing.gatewayUrl;
        q.update(existing.id, { ...next, tlsFingerprint: urlChanged ? null : existing.tlsFingerprint, updatedAt: t });
        if (urlChanged) {
          q.clearStatus(existing.id);
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

/** Reads the source (https / loopback-or-private http URL, or a file), at most SYNC_MAX_BYTES, as JSON. */
async function loadSource(source: string, timeoutMs: number): Promise<unknown> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    const url = new URL(source);
    if (url.protocol === "http:" && !isTrustedPlaintextHost(url.hostname)) {
      throw new ApiError("SYNC_FAILED", `Registry URL must use https:// (plain http only to loopback/private addresses): ${redactUrl(source)}`);
    }
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow", headers: { accept: "application/json" } });
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

export function createSync(ctx: RegistryContext, lookups: Lookups): Pick<Registry, "importLegacy" | "sync"> {
  const { opts, sql, audit, now, publish, changed } = ctx;
  return {
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
      sql.transaction(() => applyEntries(ctx, lookups, parsed.entries, tokensByHandle(input.tokens?.tokens), report, touched)).immediate();
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
        const raw = await loadSource(source, opts.syncTimeoutMs ?? 10_000);
        const file = LegacyRegistryFile.safeParse(raw);
        if (!file.success) throw new ApiError("SYNC_FAILED", `Registry source ${shown} is not an agent-team-mesh registry.json ({agents: [{emailPrefix, ...}]})`);
        const parsed = parseLegacyRegistry(file.data);
        const report: SyncReport = { created: [], updated: [], unchanged: [], skipped: [...parsed.skipped], tokensSet: [], missing: [], source: shown, at: new Date(now()).toISOString() };
        const touched = new Set<number>();
        sql.transaction(() => applyEntries(ctx, lookups, parsed.entries, new Map(), report, touched)).immediate();
        const inSource = new Set(parsed.entries.map((e) => e.handle));
        for (const s of parsed.skipped) if (s.handle) inSource.add(s.handle);
        report.missing = lookups.read.list().map((t) => t.handle).filter((h) => !inSource.has(h));
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
