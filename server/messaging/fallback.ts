// The old skill's IM hook, made explicit: when a recipient cannot be reached (unreachable, no
// address, no credentials) and MESH_FALLBACK_WEBHOOK_URL is set, POST JSON
// {to, email, message, reason} to it. Every attempt is an audit entry of kind `fallback`
// (pending before the POST, ok/failed after). The webhook URL itself is never logged or returned:
// it often carries a secret.
import type { z } from "zod";
import type { FallbackResult as FallbackResultSchema } from "../../shared/api/messages.ts";
import type { AuditLog } from "../audit/types.ts";
import type { Config } from "../config.ts";
import { fetchFailure } from "../http/fetch-failure.ts";
import type { Logger } from "../logger.ts";

export { fetchFailure };

export type FallbackResult = z.infer<typeof FallbackResultSchema>;
export type FallbackReason = "unreachable" | "no_address" | "no_credentials";

export interface FallbackRequest {
  handle: string;
  message: string;
  reason: FallbackReason;
  actor: string;
  messageId?: string | null;
  broadcastId?: string | null;
}

export interface Fallback {
  readonly enabled: boolean;
  notify(req: FallbackRequest): Promise<FallbackResult>;
}

export function createFallback(deps: {
  config: Pick<Config, "fallbackWebhookUrl" | "emailDomain">;
  audit: AuditLog;
  logger: Logger;
  timeoutMs?: number;
}): Fallback {
  const url = deps.config.fallbackWebhookUrl;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return {
    enabled: Boolean(url),
    async notify(req) {
      if (!url) return { attempted: false, ok: false, reason: req.reason, httpStatus: null, error: "fallback not configured" };
      const email = deps.config.emailDomain ? `${req.handle}@${deps.config.emailDomain}` : null;
      const entry = deps.audit.append({
        actor: req.actor,
        kind: "fallback",
        outcome: "pending",
        teammate: req.handle,
        message: req.message,
        messageId: req.messageId ?? null,
        broadcastId: req.broadcastId ?? null,
        details: { reason: req.reason, email },
      });
      const started = Date.now();
      let httpStatus: number | null = null;
      let error: string | null = null;
      // like a send: the pending entry is committed before anyone outside is told anything
      try {
        await deps.audit.durable();
      } catch (err) {
        deps.logger.error({ err, teammate: req.handle }, "fallback: the pending audit entry was not saved: webhook not called");
        return { attempted: false, ok: false, reason: req.reason, httpStatus: null, error: "the audit entry could not be saved, so the webhook was not called" };
      }
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "User-Agent": "team-mesh" },
          body: JSON.stringify({ to: req.handle, email, message: req.message, reason: req.reason }),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
        });
        httpStatus = res.status;
        await res.body?.cancel().catch(() => undefined);
        if (!res.ok) error = `webhook answered HTTP ${res.status}`;
      } catch (err) {
        const e = err as Error;
        error = e.name === "TimeoutError" ? `webhook did not answer within ${timeoutMs} ms` : `webhook request failed: ${fetchFailure(e, url)}`;
      }
      const ok = error === null;
      try {
        deps.audit.complete(entry.id, {
          outcome: ok ? "ok" : "failed",
          latencyMs: Date.now() - started,
          errorCode: ok ? null : "FALLBACK_FAILED",
          errorMessage: error,
        });
      } catch (err) {
        deps.logger.warn({ err }, "fallback: could not complete audit entry");
      }
      if (!ok) deps.logger.warn({ teammate: req.handle, httpStatus, reason: req.reason }, "fallback webhook failed");
      return { attempted: true, ok, reason: req.reason, httpStatus, error };
    },
  };
}
