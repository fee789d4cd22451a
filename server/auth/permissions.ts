// Roles → permissions, exactly as in docs/api-routes.md. Routes ask for a permission, never a role.
import type { Role } from "../../shared/api/common.ts";
import type { Permission } from "./types.ts";

export const ALL_PERMISSIONS: readonly Permission[] = [
  "teammates:read",
  "teammates:write",
  "ping",
  "send",
  "broadcast:create",
  "broadcast:confirm",
  "audit:read",
  "users:manage",
  "keys:manage",
  "metrics:read",
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(ALL_PERMISSIONS),
  operator: new Set<Permission>(["teammates:read", "ping", "send", "broadcast:create", "broadcast:confirm", "audit:read"]),
  requester: new Set<Permission>(["teammates:read", "ping", "send", "broadcast:create"]),
  auditor: new Set<Permission>(["teammates:read", "audit:read"]),
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.has(permission) ?? false;
}

/** The roles that have a permission (for 403 details). */
export function rolesWith(permission: Permission): Role[] {
  return (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((r) => can(r, permission));
}
