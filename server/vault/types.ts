import type { GatewayCredentialStore } from "../gateway/index.ts";

export type CredentialKind = "gateway_token" | "device_identity" | "device_token";

export interface CredentialInfo {
  setAt: number;
  lastUsedAt: number | null;
}

/** The token vault: the only code that sees a credential or the master key in clear. */
export interface Vault {
  /** Encrypts and stores (replacing any previous value). */
  put(teammateId: number, kind: CredentialKind, plaintext: string): void;
  /** Decrypts just in time; null when not set. Throws on a value that fails authentication. */
  get(teammateId: number, kind: CredentialKind): string | null;
  remove(teammateId: number, kind?: CredentialKind): void;
  info(teammateId: number, kind: CredentialKind): CredentialInfo | null;
  /** For every teammate at once (list pages): teammateId → kinds set. */
  infoAll(): Map<number, Partial<Record<CredentialKind, CredentialInfo>>>;
  markUsed(teammateId: number, kind: CredentialKind): void;
  /** Adapter handed to the gateway connector. */
  gatewayCredentials(): GatewayCredentialStore;
  /** Seals small server secrets (e.g. the audit chain key) under the master key. */
  sealSetting(name: string, plaintext: Buffer): void;
  openSetting(name: string): Buffer | null;
}
