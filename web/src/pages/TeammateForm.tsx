// Add / edit a teammate. Validation messages come from the API (VALIDATION_FAILED details) and
// are shown next to their field; anything else is shown under the form with its code.
import { Show, createSignal } from "solid-js";
import type { Teammate, TeammateCreate } from "../../../shared/api/teammates.ts";
import { api, fieldErrors } from "../api/client.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field, TextField } from "../components/Field.tsx";
import { createAction } from "../lib/action.ts";

type Key = "handle" | "name" | "displayName" | "gatewayUrl" | "agentId" | "hostname" | "tlsFingerprint" | "note" | "token" | "tags";

/** "backend, @oncall qa" → ["backend", "@oncall", "qa"]; the server normalises and validates each. */
export const parseTags = (s: string): string[] => s.split(/[\s,]+/).filter(Boolean);

/**
 * `onSaved`'s second argument says the entry was added with "Find agents": the caller opens its
 * agents panel, which asks the gateway (with the token just stored, server-side) for its agents.
 */
export function TeammateForm(props: { teammate?: Teammate; onSaved: (t: Teammate, o?: { findAgents: boolean }) => void; onCancel: () => void }) {
  const t = props.teammate;
  const editing = !!t;
  const [v, setV] = createSignal<Record<Key, string>>({
    handle: t?.handle ?? "",
    name: t?.name ?? "",
    displayName: t?.displayName ?? "",
    gatewayUrl: t?.gatewayUrl ?? "",
    agentId: t?.agentId ?? "main",
    hostname: t?.hostname ?? "",
    tlsFingerprint: t?.tlsFingerprint ?? "",
    note: t?.note ?? "",
    tags: (t?.tags ?? []).join(", "),
    token: "",
  });
  const { busy, error, run } = createAction();
  const [local, setLocal] = createSignal<Partial<Record<Key, string>>>({});
  const errs = () => {
    const api = fieldErrors(error());
    // a bad tag comes back as tags.N: shown on the one Tags field
    const tagError = Object.entries(api).find(([k]) => k === "tags" || k.startsWith("tags."))?.[1];
    return { ...api, ...(tagError ? { tags: tagError } : {}), ...local() } as Partial<Record<string, string>>;
  };
  const set = (k: Key, value: string) => setV((o) => ({ ...o, [k]: value }));
  const idp = editing ? `tm-edit-${t.handle}` : "tm-new";

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    return save(false);
  };
  const save = async (findAgents: boolean) => {
    const val = v();
    const miss: Partial<Record<Key, string>> = {};
    if (!editing && !val.handle.trim()) miss.handle = "A handle is required.";
    if (!val.name.trim()) miss.name = "A name is required.";
    if (findAgents && !val.gatewayUrl.trim()) miss.gatewayUrl = "Finding agents needs the gateway URL.";
    if (findAgents && !val.token) miss.token = "Finding agents needs the gateway token.";
    setLocal(miss);
    if (Object.keys(miss).length) return;
    const opt = (s: string) => (s.trim() === "" ? null : s.trim());
    const body = {
      name: val.name.trim(),
      displayName: opt(val.displayName),
      gatewayUrl: opt(val.gatewayUrl),
      ...(val.agentId.trim() ? { agentId: val.agentId.trim() } : {}),
      hostname: opt(val.hostname),
      tlsFingerprint: opt(val.tlsFingerprint),
      note: val.note.trim() === "" ? null : val.note,
      tags: parseTags(val.tags),
    };
    await run(async () => {
      let saved: Teammate;
      if (editing) saved = await api.updateTeammate(t.handle, body);
      else {
        const create: TeammateCreate = { handle: val.handle.trim(), ...body };
        if (val.token) create.token = val.token;
        saved = await api.createTeammate(create);
      }
      set("token", "");
      props.onSaved(saved, { findAgents });
    });
  };

  const input = (k: Key, label: string, o: { hint?: string; type?: string; placeholder?: string; auto?: string } = {}) => {
    const id = `${idp}-${k}`;
    return (
      <TextField
        label={label}
        id={id}
        error={errs()[k]}
        hint={o.hint}
        name={k}
        type={o.type ?? "text"}
        placeholder={o.placeholder}
        autocomplete={o.auto ?? "off"}
        spellcheck={false}
        value={v()[k]}
        onInput={(value) => set(k, value)}
      />
    );
  };

  return (
    <form class="teammate-form grid-form" onSubmit={submit} novalidate aria-label={editing ? `Edit ${t.handle}` : "Add teammate"}>
      <Show when={!editing}>{input("handle", "Handle", { hint: "a-z 0-9 . _ - (e.g. alice)" })}</Show>
      {input("name", "Name")}
      {input("displayName", "Display name")}
      {input("gatewayUrl", "Gateway URL", { placeholder: "wss://host:18789", hint: "ws:// or wss://" })}
      {input("agentId", "Agent id", { hint: "the OpenClaw agent on that gateway (main unless it has several)" })}
      {input("hostname", "Hostname")}
      {input("tlsFingerprint", "TLS fingerprint (SHA-256)", { hint: "optional pin of the gateway certificate" })}
      {input("tags", "Tags (groups)", { placeholder: "backend, oncall", hint: "comma or space separated; a-z 0-9 - _ (e.g. backend)" })}
      <Field label="Note" id={`${idp}-note`} error={errs().note} class="wide">
        <textarea id={`${idp}-note`} rows="2" value={v().note} onInput={(e) => set("note", e.currentTarget.value)} />
      </Field>
      <Show when={!editing}>
        {input("token", "Gateway token (write-only)", {
          type: "password",
          auto: "new-password",
          hint: "optional now; can be set later. Never shown again.",
        })}
      </Show>
      <div class="wide">
        <ErrorNote error={error()} />
      </div>
      <div class="actions wide">
        <button type="submit" disabled={busy()}>
          {busy() ? "Saving…" : editing ? "Save changes" : "Add teammate"}
        </button>
        <Show when={!editing}>
          <button
            type="button"
            class="secondary"
            disabled={busy()}
            title="Adds this entry, then asks the gateway which agents it has and offers the others"
            onClick={() => void save(true)}
          >
            Add and find agents
          </button>
        </Show>
        <button type="button" class="secondary" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
