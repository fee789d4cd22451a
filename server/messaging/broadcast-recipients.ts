// Who a broadcast goes to, decided at create time: every teammate with an address and a token,
// except this server's own agent; the others are kept as skipped, with the reason.
import type { MessagingDeps } from "./deps.ts";

export type SkipReason = "self" | "no_address" | "no_credentials";

export interface Planned {
  recipients: { id: number; handle: string; name: string; displayName: string | null; gatewayUrl: string; tlsFingerprint: string | null }[];
  skipped: { id: number; handle: string; name: string; displayName: string | null; gatewayUrl: string | null; reason: SkipReason }[];
}

/** `tags`: only teammates with at least one of them (a group broadcast); others are not listed at all. */
export function planRecipients(registry: MessagingDeps["registry"], tags: readonly string[] | null = null): Planned {
  const me = registry.me()?.handle ?? null;
  const out: Planned = { recipients: [], skipped: [] };
  for (const t of registry.list()) {
    if (tags && !tags.some((tag) => t.tags.includes(tag))) continue;
    const base = { id: t.id, handle: t.handle, name: t.name, displayName: t.displayName };
    if (me && t.handle === me) out.skipped.push({ ...base, gatewayUrl: t.gatewayUrl, reason: "self" });
    else if (!t.gatewayUrl) out.skipped.push({ ...base, gatewayUrl: null, reason: "no_address" });
    else if (!registry.hasToken(t.id)) out.skipped.push({ ...base, gatewayUrl: t.gatewayUrl, reason: "no_credentials" });
    else out.recipients.push({ ...base, gatewayUrl: t.gatewayUrl, tlsFingerprint: t.tlsFingerprint });
  }
  return out;
}

/**
 * Why nobody would receive a broadcast, naming who is skipped and why, e.g. "Nobody to broadcast
 * to: me is you (this server's own agent); carol has no gateway address. Nothing was stored."
 */
export function noRecipientsMessage(skipped: readonly { handle: string; reason: SkipReason }[], tags: readonly string[] | null = null): string {
  if (skipped.length === 0) {
    return tags
      ? `Nobody to broadcast to: no teammate is tagged ${tags.map((t) => `@${t}`).join(" or ")}. Nothing was stored.`
      : "Nobody to broadcast to: there are no teammates yet. Nothing was stored.";
  }
  const names = (reason: SkipReason) => {
    const handles = skipped.filter((s) => s.reason === reason).map((s) => s.handle);
    const shown = handles.slice(0, 5).join(", ");
    return { n: handles.length, text: handles.length > 5 ? `${shown} and ${handles.length - 5} more` : shown };
  };
  const self = names("self");
  const noAddress = names("no_address");
  const noToken = names("no_credentials");
  const parts = [
    self.n ? `${self.text} is you (this server's own agent)` : null,
    noAddress.n ? `${noAddress.text} ${noAddress.n === 1 ? "has" : "have"} no gateway address` : null,
    noToken.n ? `${noToken.text} ${noToken.n === 1 ? "has" : "have"} no gateway token` : null,
  ].filter((x): x is string => x !== null);
  return `Nobody to broadcast to: ${parts.join("; ")}. Nothing was stored.`;
}
