// The dashboard hides what a role cannot do with the same table the server enforces.
import { ROLES } from "../../../shared/api/enums.ts";
import { PERMISSIONS, roleCan } from "../../../shared/permissions.ts";
import { can } from "../../../server/auth/permissions.ts";

it("every role × permission answers as the server does", () => {
  for (const role of ROLES) for (const p of PERMISSIONS) expect(roleCan(role, p), `${role} ${p}`).toBe(can(role, p));
  expect(roleCan(null, "send")).toBe(false);
  expect(roleCan("auditor", "metrics:read")).toBe(false);
  expect(roleCan("admin", "metrics:read")).toBe(true);
});
