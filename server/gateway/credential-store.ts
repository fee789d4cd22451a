// In-memory GatewayCredentialStore for tests and scripts. The server's real store keeps the same
// data encrypted in its vault.
import type { DeviceIdentity, GatewayCredentialStore } from "./types.ts";

export interface MemoryCredentialStore extends GatewayCredentialStore {
  setGatewayToken(teammateId: number, token: string | null): void;
  /** How often markUsed was called per teammate. */
  used: Map<number, number>;
  /** Serializable snapshot (lets a child process continue with the same identity and tokens). */
  toJSON(): MemoryCredentialSnapshot;
}

export interface MemoryCredentialSnapshot {
  gatewayTokens: Record<string, string>;
  identities: Record<string, DeviceIdentity>;
  deviceTokens: Record<string, { token: string; scopes: string[] }>;
}

export function createMemoryCredentialStore(init?: {
  gatewayTokens?: Record<number, string>;
  snapshot?: MemoryCredentialSnapshot;
}): MemoryCredentialStore {
  const gatewayTokens = new Map<number, string>();
  const identities = new Map<number, DeviceIdentity>();
  const deviceTokens = new Map<number, { token: string; scopes: string[] }>();
  const used = new Map<number, number>();
  const snap = init?.snapshot;
  if (snap) {
    for (const [k, v] of Object.entries(snap.gatewayTokens)) gatewayTokens.set(Number(k), v);
    for (const [k, v] of Object.entries(snap.identities)) identities.set(Number(k), { ...v });
    for (const [k, v] of Object.entries(snap.deviceTokens)) deviceTokens.set(Number(k), { token: v.token, scopes: [...v.scopes] });
  }
  for (const [k, v] of Object.entries(init?.gatewayTokens ?? {})) gatewayTokens.set(Number(k), v);
  return {
    gatewayToken: (id) => gatewayTokens.get(id) ?? null,
    setGatewayToken: (id, token) => (token === null ? gatewayTokens.delete(id) : gatewayTokens.set(id, token)),
    deviceIdentity: (id) => identities.get(id) ?? null,
    saveDeviceIdentity: (id, identity) => identities.set(id, { ...identity }),
    deviceToken: (id) => {
      const t = deviceTokens.get(id);
      return t ? { token: t.token, scopes: [...t.scopes] } : null;
    },
    saveDeviceToken: (id, token, scopes) => deviceTokens.set(id, { token, scopes: [...scopes] }),
    clearDeviceToken: (id) => deviceTokens.delete(id),
    markUsed: (id) => used.set(id, (used.get(id) ?? 0) + 1),
    used,
    toJSON: () => ({
      gatewayTokens: Object.fromEntries(gatewayTokens),
      identities: Object.fromEntries(identities),
      deviceTokens: Object.fromEntries(deviceTokens),
    }),
  };
}
