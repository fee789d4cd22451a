// API keys (admins): create (the key is shown once, with a copy button), list, revoke.
import { For, Show, createSignal, onMount } from "solid-js";
import type { ApiKey } from "../../../shared/api/auth.ts";
import type { Role } from "../../../shared/api/common.ts";
import { api, asApiError, fieldErrors, type ApiKeyCreated } from "../api/client.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import { DataTable } from "../components/DataTable.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field, TextField } from "../components/Field.tsx";
import { createAction } from "../lib/action.ts";
import { fmtAgo, fmtDate } from "../lib/format.ts";
import { KeyHelp, RoleTable } from "./KeyHelp.tsx";

const ROLES: Role[] = ["requester", "operator", "auditor", "admin"];
export default function ApiKeysPage() {
  const [keys, setKeys] = createSignal<ApiKey[]>([]);
  const [loadError, setLoadError] = createSignal<unknown>(null);
  const [loading, setLoading] = createSignal(true);
  const [name, setName] = createSignal("");
  const [role, setRole] = createSignal<Role>("requester");
  const [expires, setExpires] = createSignal("");
  const { busy, error, run } = createAction();
  const [created, setCreated] = createSignal<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = createSignal<string | null>(null);
  const [rowError, setRowError] = createSignal<Record<string, unknown>>({});
  const fe = () => fieldErrors(error());

  const load = async () => {
    setLoading(true);
    try {
      setKeys((await api.apiKeys()).items);
      setLoadError(null);
    } catch (e) {
      setLoadError(asApiError(e));
    } finally {
      setLoading(false);
    }
  };
  onMount(load);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    await run(async () => {
      setCreated(null);
      const exp = expires() ? new Date(`${expires()}T23:59:59`).toISOString() : null;
      const k = await api.createApiKey({ name: name().trim(), role: role(), expiresAt: exp });
      setCreated(k);
      setName("");
      await load();
    });
  };
  const revoke = async (id: string) => {
    setRowError((r) => ({ ...r, [id]: null }));
    try {
      await api.revokeApiKey(id);
      setRevoking(null);
      await load();
    } catch (err) {
      setRowError((r) => ({ ...r, [id]: asApiError(err) }));
    }
  };

  return (
    <div class="page">
      <h1>API keys</h1>
      <form class="panel" onSubmit={create} novalidate aria-labelledby="newkey-title">
        <h2 id="newkey-title">Create a key</h2>
        <p class="muted">For agents, scripts, the CLI and MCP clients. A key acts with its own role (below), whoever made it.</p>
        <RoleTable />
        <div class="grid-form">
          <TextField label="Name" id="key-name" error={fe().name} value={name()} onInput={setName} />
          <Field label="Role" id="key-role" error={fe().role}>
            <select id="key-role" value={role()} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <For each={ROLES}>{(r) => <option value={r}>{r}</option>}</For>
            </select>
          </Field>
          <Field label="Expires (optional)" id="key-expires" error={fe().expiresAt}>
            <input id="key-expires" type="date" value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="actions">
          <button type="submit" disabled={busy() || !name().trim()}>
            {busy() ? "Creating…" : "Create key"}
          </button>
        </div>
        <ErrorNote error={error()} />
      </form>
      <Show when={created()}>
        {(k) => (
          <section class="panel created-key" aria-labelledby="created-title">
            <h2 id="created-title">Key "{k().name}" created</h2>
            <p>
              <strong>Copy it now: it is shown only once.</strong>
            </p>
            <div class="command">
              <code data-testid="new-key">{k().key}</code>
              <CopyButton text={k().key} label="Copy key" />
            </div>
            <KeyHelp keyValue={k().key} />
            <button type="button" class="secondary small" onClick={() => setCreated(null)}>
              I have stored it
            </button>
          </section>
        )}
      </Show>
      <Show when={!created()}>
        <KeyHelp keyValue={null} />
      </Show>
      <ErrorNote error={loadError()}>
        <button type="button" class="secondary small" onClick={load}>
          Retry
        </button>
      </ErrorNote>
      <Show when={!loading() || keys().length}>
        <DataTable columns={["Name", "Owner", "Role", "Prefix", "Created", "Last used", "Expires", "State"]} actions>
          <For each={keys()} fallback={<tr><td colspan="9" class="muted">No keys yet.</td></tr>}>
            {(k) => (
              <tr data-key-id={k.id}>
                <td data-label="Name">{k.name}</td>
                <td data-label="Owner">{k.owner ?? "—"}</td>
                <td data-label="Role">{k.role}</td>
                <td data-label="Prefix" class="mono">
                  {k.prefix}…
                </td>
                <td data-label="Created">
                  {fmtDate(k.createdAt)} by {k.createdBy}
                </td>
                <td data-label="Last used">{fmtAgo(k.lastUsedAt)}</td>
                <td data-label="Expires">{k.expiresAt ? fmtDate(k.expiresAt) : "never"}</td>
                <td data-label="State">{k.revokedAt ? `revoked ${fmtDate(k.revokedAt)}` : "active"}</td>
                <td class="row-actions">
                  <Show when={!k.revokedAt}>
                    <Show
                      when={revoking() === k.id}
                      fallback={
                        <button type="button" class="danger small" onClick={() => setRevoking(k.id)} aria-label={`Revoke ${k.name}`}>
                          Revoke…
                        </button>
                      }
                    >
                      <span class="confirm-inline" role="group" aria-label="Confirm revoke">
                        <button type="button" class="danger small" onClick={() => revoke(k.id)}>
                          Revoke now
                        </button>
                        <button type="button" class="secondary small" onClick={() => setRevoking(null)}>
                          Keep
                        </button>
                      </span>
                    </Show>
                  </Show>
                  <ErrorNote error={rowError()[k.id]} />
                </td>
              </tr>
            )}
          </For>
        </DataTable>
      </Show>
    </div>
  );
}
