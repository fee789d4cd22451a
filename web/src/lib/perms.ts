// Roles → permissions, as in docs/api-routes.md. Used only to hide what a role cannot do;
// the server enforces them.
import type { Role } from "../../../shared/api/common.ts";

export type Permission =
  | "teammates:read"
  | "teammates:write"
  | "ping"
  | "send"
  | "broadcast:create"
  | "broadcast:confirm"
  | "audit:read"
  | "users:manage"
  | "keys:manage";

const ROLE_PERMS: Record<Role, readonly Permission[] | "all"> = {
  admin: "all",
  operator: ["teammates:read", "ping", "send", "broadcast:create", "broadcast:confirm", "audit:read"],
  requester: ["teammates:read", "ping", "send", "broadcast:create"],
  auditor: ["teammates:read", "audit:read"],
};

export function roleCan(role: Role | null | undefined, p: Permission): boolean {
  if (!role) return false;
  const perms = ROLE_PERMS[role];
  return perms === "all" || perms.includes(p);
}
