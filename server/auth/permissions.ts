// Roles → permissions: the table lives in shared/permissions.ts (the dashboard reads the same
// one). Routes ask for a permission, never a role.
import type { Role } from "../../shared/api/common.ts";
import { PERMISSIONS, ROLE_PERMISSIONS as TABLE, roleCan } from "../../shared/permissions.ts";
import type { Permission } from "./types.ts";

export const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS;

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(TABLE.admin),
  operator: new Set(TABLE.operator),
  requester: new Set(TABLE.requester),
  auditor: new Set(TABLE.auditor),
};

export function can(role: Role, permission: Permission): boolean {
  return roleCan(role, permission);
}
/** The roles that have a permission (for 403 details). */
export function rolesWith(permission: Permission): Role[] {
  return (Object.keys(ROLE_PERMISSIONS) as Role[]).filter((r) => can(r, permission));
}
