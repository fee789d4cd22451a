import type { Role } from "../../shared/api/common.ts";

/** Who is calling: set on the request context by the auth middleware. */
export interface Principal {
  kind: "user" | "api_key";
  id: string; // user id or api key id
  name: string; // username or key name
  role: Role;
  /** "user:<name>" or "key:<name>", as written in the audit trail. */
  label: string;
  /** Users only: a one-time password is still to be replaced (sessions may then only call PASSWORD_CHANGE_PATHS). */
  mustChangePassword?: boolean;
}

/**
 * A credential stopped being valid (AuthService.onRevoked): an API key was revoked, one session
 * ended (sign-out), or every session of a user ended (disabled, deleted, new password or role).
 * Listeners (the events WebSocket) re-check the connections of that principal.
 */
export type CredentialRevocation =
  | { kind: "api_key"; keyId: string }
  | { kind: "session"; userId: string }
  | { kind: "user"; userId: string; reason: "disabled" | "deleted" | "password" | "role" };

/** What each role may do (the table: shared/permissions.ts). Routes ask for a permission, never for a role by name. */
export type { Permission } from "../../shared/permissions.ts";
