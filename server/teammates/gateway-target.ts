// What the connector gets for a teammate entry: its address, its agent, and whose credentials and
// pooled connection to use — the entry it was added from, if any (one connection per gateway
// for the agents added from one entry), else its own.
import type { GatewayTarget } from "../gateway/index.ts";
import type { TeammateRecord } from "./types.ts";

export const gatewayTargetOf = (t: TeammateRecord, url: string = t.gatewayUrl ?? ""): GatewayTarget => ({
  teammateId: t.credentialsFrom ?? t.id,
  url,
  tlsFingerprint: t.tlsFingerprint,
  agentId: t.agentId,
});
