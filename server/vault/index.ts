export { createVault, assertKeyMatches, vaultInitialized, KEY_CHECK_SETTING, SEALED_SETTING_PREFIX, type VaultOptions } from "./vault.ts";
export { VaultKeyError, VaultDecryptError, keyIdOf } from "./crypto.ts";
export { loadMasterKey, decodeKey, keyFilePath, readKeyFile, writeKeyFile, VAULT_KEY_FILE, type MasterKey } from "./key.ts";
export { rotateVaultKey, type RotationReport } from "./rotate.ts";
export type { Vault, CredentialKind, CredentialInfo } from "./types.ts";
