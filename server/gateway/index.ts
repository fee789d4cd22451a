// Public surface of the gateway connector — the only code in the server that speaks the OpenClaw
// Gateway protocol (@openclaw/* imports stay inside server/gateway/).
export { createGatewayConnector } from "./connector.ts";
export { createMemoryCredentialStore, type MemoryCredentialStore, type MemoryCredentialSnapshot } from "./credential-store.ts";
export { checkGatewayUrl, normalizeTlsFingerprint, type GatewayUrlCheck } from "./url-policy.ts";
export { generateDeviceIdentity, deviceIdFromPublicKeyPem } from "./device-identity.ts";
export { GatewayError } from "./errors.ts";
export type {
  DeviceIdentity,
  GatewayConnector,
  GatewayConnectorOptions,
  GatewayCredentialStore,
  GatewayErrorCode,
  GatewayAgent,
  GatewayErrorInfo,
  GatewayLogger,
  GatewayTarget,
  PairingInfo,
  ProbeResult,
  ProbeState,
  SendOptions,
  SendOutcome,
  SendResult,
} from "./types.ts";
