// Probe = unauthenticated `GET /healthz` (the JSON body must say ok:true — `GET /` answers 200 for
// any path, so a status alone proves nothing), then an authenticated connect.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";
import { GatewayError } from "./errors.ts";
import { normalizeTlsFingerprint } from "./url-policy.ts";

export interface HealthResult {
  ok: boolean;
  latencyMs: number;
  error?: GatewayError;
}

function healthUrl(wsUrl: string): URL {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/healthz`;
  u.search = "";
  u.hash = "";
  return u;
}

export function checkHealth(wsUrl: string, o: { timeoutMs: number; tlsFingerprint: string | null }): Promise<HealthResult> {
  const started = Date.now();
  const url = healthUrl(wsUrl);
  const secure = url.protocol === "https:";
  const pin = o.tlsFingerprint ? normalizeTlsFingerprint(o.tlsFingerprint) : null;
  return new Promise<HealthResult>((resolve) => {
    let done = false;
    const finish = (r: Omit<HealthResult, "latencyMs">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...r, latencyMs: Date.now() - started });
    };
    const opts = { method: "GET", headers: { accept: "application/json" }, ...(secure && pin ? { rejectUnauthorized: false } : {}) };
    const req = (secure ? httpsRequest : httpRequest)(url, opts, (res) => {
      if (secure && pin) {
        const fp = normalizeTlsFingerprint((res.socket as TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? "");
        if (fp !== pin) {
          finish({ ok: false, error: new GatewayError("TLS_PIN_MISMATCH", "The gateway's TLS certificate does not match the pinned SHA-256 fingerprint.", { reason: "tls-pin" }) });
          return;
        }
      }
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
        if (body.length > 64 * 1024) finish({ ok: false, error: notGateway(res.statusCode) });
      });
      res.on("end", () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(body);
        } catch {
          // not JSON
        }
        const ok = res.statusCode === 200 && parsed !== null && typeof parsed === "object" && (parsed as { ok?: unknown }).ok === true;
        finish(ok ? { ok: true } : { ok: false, error: notGateway(res.statusCode) });
      });
      res.on("error", () => finish({ ok: false, error: new GatewayError("GATEWAY_UNREACHABLE", "The gateway's health check was interrupted.", { reason: "healthz-interrupted" }, true) }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "";
      if (/^(?:ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
        finish({ ok: false, error: new GatewayError("GATEWAY_ERROR", `TLS handshake with the gateway failed (${code}); pin its certificate fingerprint if it is self-signed.`, { tlsError: code }) });
      } else {
        finish({ ok: false, error: new GatewayError("GATEWAY_UNREACHABLE", `Cannot reach the gateway${code ? ` (${code})` : ""}.`, { errno: code || undefined, reason: "healthz" }, true) });
      }
    });
    const timer = setTimeout(
      () => finish({ ok: false, error: new GatewayError("GATEWAY_UNREACHABLE", "Cannot reach the gateway: health check timed out.", { reason: "healthz-timeout" }, true) }),
      o.timeoutMs,
    );
    req.end();
  });
}

function notGateway(status: number | undefined): GatewayError {
  return new GatewayError(
    "GATEWAY_ERROR",
    `Something answers at this address, but not an OpenClaw gateway (GET /healthz → HTTP ${status ?? "?"} without {"ok":true}).`,
    { reason: "not-a-gateway", httpStatus: status },
  );
}
