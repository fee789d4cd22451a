// Roles → permissions, the one table (docs/api-routes.md says the same in words). The server
// enforces it (server/auth/permissions.ts); the dashboard reads it to hide what a role cannot do.
// Zod-free, so the web bundle can import it.
import type { ROLES } from "./api/enums.ts";

type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  "teammates:read",
  "teammates:write", // create, edit, delete, credentials, import, sync, whoami
  "ping",
  "send",
  "broadcast:create",
  "broadcast:confirm", // confirm, cancel and retry anyone's
  "audit:read",
  "users:manage",
  "keys:manage",
  "metrics:read",
  "secrets:override", // send a message the secret scanner blocks (allowSecrets: true), audited
  "templates:write", // create, edit, delete message templates (reading and filling them needs "send")
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: ["teammates:read", "ping", "send", "broadcast:create", "broadcast:confirm", "audit:read", "templates:write"],
  requester: ["teammates:read", "ping", "send", "broadcast:create"],
  auditor: ["teammates:read", "audit:read"],
};

export function roleCan(role: Role | null | undefined, permission: Permission): boolean {
  return role ? (ROLE_PERMISSIONS[role]?.includes(permission) ?? false) : false;
}
