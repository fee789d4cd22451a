// Gateway URLs as the registry accepts and shows them.
import { checkGatewayUrl } from "../gateway/url-policy.ts";
import { ApiError } from "../errors.ts";

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
