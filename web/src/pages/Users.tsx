// Users (admins): create (a one-time password is generated unless one is given, shown once),
// change role, disable/enable, reset password (a new one-time password, shown once), their keys.
import { For, Show, createSignal, onMount } from "solid-js";
import type { ApiKey, User } from "../../../shared/api/auth.ts";
import type { Role } from "../../../shared/api/common.ts";
import { api, asApiError, fieldErrors } from "../api/client.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import { DataTable } from "../components/DataTable.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field, TextField } from "../components/Field.tsx";
import { createAction } from "../lib/action.ts";
import { fmtDate } from "../lib/format.ts";
import { session } from "../stores/session.ts";

const ROLES: Role[] = ["operator", "requester", "auditor", "admin"];

export default function UsersPage() {
  const [users, setUsers] = createSignal<User[]>([]);
  const [keys, setKeys] = createSignal<ApiKey[]>([]);
  const [loadError, setLoadError] = createSignal<unknown>(null);
  const [username, setUsername] = createSignal("");
  const [role, setRole] = createSignal<Role>("operator");
  const [password, setPassword] = createSignal("");
  const { busy, error, run } = createAction();
  /** The one-time password just generated (create or reset), shown once. */
  const [shown, setShown] = createSignal<{ username: string; password: string; why: string } | null>(null);
  const [resetting, setResetting] = createSignal<string | null>(null);
  const [rowError, setRowError] = createSignal<Record<string, unknown>>({});
  const fe = () => fieldErrors(error());

  const load = async () => {
    try {
      const [u, k] = await Promise.all([api.users(), api.apiKeys()]);
      setUsers(u.items);
      setKeys(k.items);
      setLoadError(null);
    } catch (e) {
      setLoadError(asApiError(e));
    }
  };
  onMount(load);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    await run(async () => {
      setShown(null);
      const u = await api.createUser({ username: username().trim(), role: role(), ...(password() ? { password: password() } : {}) });
      if (u.oneTimePassword) setShown({ username: u.username, password: u.oneTimePassword, why: "created" });
      setUsername("");
      setPassword("");
      await load();
    });
  };
  /** A row's change; its error (e.g. LAST_ADMIN) shows in that row. */
  const rowAction = async (name: string, fn: () => Promise<unknown>) => {
    setRowError((r) => ({ ...r, [name]: null }));
    try {
      await fn();
      await load();
    } catch (err) {
      setRowError((r) => ({ ...r, [name]: asApiError(err) }));
      await load(); // the role select shows the role the server kept
    }
  };
  const keysOf = (name: string) => keys().filter((k) => k.owner === name && !k.revokedAt);

  return (
    <div class="page">
      <h1>Users</h1>
      <form class="panel" onSubmit={create} novalidate aria-labelledby="newuser-title">
        <h2 id="newuser-title">Add a user</h2>
        <p class="muted">People who sign in to this dashboard. Leave the password empty to get a one-time password to hand over.</p>
        <div class="grid-form">
          <TextField label="Username" id="user-name" error={fe().username} value={username()} onInput={setUsername} />
          <Field label="Role" id="user-role" error={fe().role}>
            <select id="user-role" value={role()} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <For each={ROLES}>{(r) => <option value={r}>{r}</option>}</For>
            </select>
          </Field>
          <Field label="Password (optional)" id="user-password" error={fe().password}>
            <input id="user-password" type="password" autocomplete="new-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="actions">
          <button type="submit" disabled={busy() || !username().trim()}>
            {busy() ? "Adding…" : "Add user"}
          </button>
        </div>
        <ErrorNote error={error()} />
      </form>
      <Show when={shown()}>
        {(s) => (
          <section class="panel created-key" aria-labelledby="otp-title">
            <h2 id="otp-title">One-time password for {s().username}</h2>
            <p>
              <strong>Copy it now: it is shown only once.</strong> Give it to {s().username} over a private channel.
              They must choose their own password when they first sign in with it.
            </p>
            <div class="command">
              <code data-testid="one-time-password">{s().password}</code>
              <CopyButton text={s().password} label="Copy password" />
            </div>
            <button type="button" class="secondary small" onClick={() => setShown(null)}>
              Done
            </button>
          </section>
        )}
      </Show>
      <ErrorNote error={loadError()}>
        <button type="button" class="secondary small" onClick={load}>
          Retry
        </button>
      </ErrorNote>
      <DataTable columns={["Username", "Role", "State", "Created", "API keys"]} actions>
        <For each={users()} fallback={<tr><td colspan="6" class="muted">No users.</td></tr>}>
          {(u) => (
            <tr data-user={u.username}>
              <td data-label="Username">
                {u.username}
                <Show when={u.username === session.me()?.name}> (you)</Show>
                <Show when={u.mustChangePassword}>
                  {" "}
                  <span class="badge warn" title="Still has a one-time password: must choose their own at next sign-in">
                    must change password
                  </span>
                </Show>
              </td>
              <td data-label="Role">
                <select
                  aria-label={`Role of ${u.username}`}
                  value={u.role}
                  onChange={(e) => {
                    const next = e.currentTarget.value as Role;
                    void rowAction(u.username, () => api.updateUser(u.username, { role: next }));
                  }}
                >
                  <For each={ROLES}>{(r) => <option value={r}>{r}</option>}</For>
                </select>
              </td>
              <td data-label="State">{u.disabled ? "disabled" : "active"}</td>
              <td data-label="Created">{fmtDate(u.createdAt)}</td>
              <td data-label="API keys">
                <Show when={keysOf(u.username).length} fallback={<span class="muted">none</span>}>
                  <For each={keysOf(u.username)}>
                    {(k) => (
                      <span class="mono" title={`${k.role}, ${k.prefix}…`}>
                        {k.name} ({k.role}){" "}
                      </span>
                    )}
                  </For>
                </Show>
              </td>
              <td class="row-actions">
                <button
                  type="button"
                  class={u.disabled ? "secondary small" : "danger small"}
                  onClick={() => rowAction(u.username, () => api.updateUser(u.username, { disabled: !u.disabled }))}
                >
                  {u.disabled ? `Enable` : `Disable`}
                  <span class="sr-only"> {u.username}</span>
                </button>
                <Show
                  when={resetting() === u.username}
                  fallback={
                    <button type="button" class="secondary small" onClick={() => setResetting(u.username)} aria-label={`Reset password of ${u.username}`}>
                      Reset password…
                    </button>
                  }
                >
                  <span class="confirm-inline" role="group" aria-label="Confirm password reset">
                    <button
                      type="button"
                      class="danger small"
                      onClick={() =>
                        rowAction(u.username, async () => {
                          const r = await api.resetPassword(u.username);
                          setResetting(null);
                          setShown({ username: r.username, password: r.oneTimePassword, why: "reset" });
                        })
                      }
                    >
                      Reset and sign out
                    </button>
                    <button type="button" class="secondary small" onClick={() => setResetting(null)}>
                      Keep
                    </button>
                  </span>
                </Show>
                <ErrorNote error={rowError()[u.username]} />
              </td>
            </tr>
          )}
        </For>
      </DataTable>
      <p class="muted">
        Disabling a user ends their sessions and revokes their API keys at once (enabling does not bring the keys back). A new role or password
        signs them out. The last active admin cannot be demoted or disabled.
      </p>
    </div>
  );
}
