// The API keys page's explanations: what each role may do (read off shared/permissions.ts, so it
// cannot drift from what the server enforces) and how to use a key (HTTP, CLI, MCP).
import { For } from "solid-js";
import type { Role } from "../../../shared/api/common.ts";
import { ROLE_PERMISSIONS, type Permission } from "../../../shared/permissions.ts";

/** Each permission in words. */
const PERMISSION_TEXT: Record<Permission, string> = {
  "teammates:read": "see the team",
  "teammates:write": "add, edit and import teammates and their gateway tokens",
  ping: "check who is online",
  send: "send to one teammate",
  "broadcast:create": "create broadcasts",
  "broadcast:confirm": "confirm, cancel and retry broadcasts",
  "audit:read": "read and export the audit trail",
  "users:manage": "manage users",
  "keys:manage": "manage API keys",
  "metrics:read": "read /metrics",
  "secrets:override": "send a message the secret scanner blocks (audited)",
  "templates:write": "create, edit and delete message templates",
};

/** What the role is for, in a few words. */
const ROLE_USE: Record<Role, string> = {
  requester: "an agent's or a script's key: its broadcasts wait for a person to confirm them in the dashboard",
  operator: "a trusted tool that may also confirm broadcasts",
  auditor: "read-only: reviews what was sent",
  admin: "everything; keep such keys rare",
};

export const KEY_ROLES: Role[] = ["requester", "operator", "auditor", "admin"];

export function roleSummary(role: Role): string {
  return ROLE_PERMISSIONS[role].map((p) => PERMISSION_TEXT[p]).join(", ");
}

export function RoleTable() {
  return (
    <table class="role-table" aria-label="What each role may do">
      <thead>
        <tr>
          <th scope="col">Role</th>
          <th scope="col">May</th>
          <th scope="col">For</th>
        </tr>
      </thead>
      <tbody>
        <For each={KEY_ROLES}>
          {(r) => (
            <tr data-role={r}>
              <th scope="row">{r}</th>
              <td>{roleSummary(r)}</td>
              <td class="muted">{ROLE_USE[r]}</td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  );
}

/** How to use a key; with the key just created, the commands carry it (copy and paste). */
export function KeyHelp(props: { keyValue: string | null }) {
  const origin = () => (typeof location !== "undefined" ? location.origin : "http://127.0.0.1:8790");
  const key = () => props.keyValue ?? "tm_...";
  return (
    <section class="key-help" aria-labelledby="keyhelp-title">
      <h3 id="keyhelp-title">Using a key</h3>
      <p>HTTP: send it as a Bearer token.</p>
      <div class="command">
        <code data-testid="use-curl">{`curl -H "Authorization: Bearer ${key()}" ${origin()}/api/v1/teammates`}</code>
      </div>
      <p>CLI: set two variables, then run any command.</p>
      <div class="command">
        <code data-testid="use-cli">{`export MESH_URL=${origin()} MESH_API_KEY=${key()}\nteam-mesh whoami`}</code>
      </div>
      <p>
        MCP: point an MCP client at <code>{`${origin()}/mcp`}</code> with the header <code>Authorization: Bearer {key()}</code>, or run{" "}
        <code>team-mesh mcp</code> (stdio) with the two variables above.
      </p>
    </section>
  );
}
