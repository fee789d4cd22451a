// Pick a message template, fill its custom variables, and put the filled text into the message
// box (nothing is sent from here). On Send the recipient fills {{name}}, {{display_name}} and
// {{handle}}; on Broadcast only templates without those can be used: a broadcast is one confirmed
// text for every recipient. "Save as template" stores the current message box.
import { For, Show, createSignal, onMount } from "solid-js";
import type { Template } from "../../../shared/api/templates.ts";
import { RECIPIENT_VARIABLES } from "../../../shared/template-variables.ts";
import { api } from "../api/client.ts";
import { createAction } from "../lib/action.ts";
import { session } from "../stores/session.ts";
import { ErrorNote } from "./ErrorNote.tsx";
import { Field } from "./Field.tsx";

const isRecipientVar = (v: string) => (RECIPIENT_VARIABLES as readonly string[]).includes(v);

export function TemplatePicker(props: { id: string; mode: "send" | "broadcast"; to?: string; text: string; onFill: (text: string) => void }) {
  const [list, setList] = createSignal<Template[]>([]);
  const [picked, setPicked] = createSignal<number | null>(null);
  const [vars, setVars] = createSignal<Record<string, string>>({});
  const [saveName, setSaveName] = createSignal("");
  const { busy, error, run } = createAction();
  const refetch = async () => setList((await api.templates()).items);
  onMount(() => void run(refetch));
  const [note, setNote] = createSignal("");
  const template = (): Template | undefined => list().find((t) => t.id === picked());
  const custom = () => (template()?.variables ?? []).filter((v) => !isRecipientVar(v));
  const usable = (t: Template) => props.mode === "send" || t.broadcastable;

  const fill = () =>
    run(async () => {
      const t = template();
      if (!t) return;
      setNote("");
      // an empty box is not a value: the server then names the variable as missing
      const given = Object.fromEntries(Object.entries(vars()).filter(([, value]) => value !== ""));
      const body = props.mode === "send" ? { to: props.to ?? "", vars: given } : { vars: given };
      props.onFill((await api.renderTemplate(t.id, body)).message);
      setNote(`Filled from "${t.name}". Check the text, then send it.`);
    });
  const save = () =>
    run(async () => {
      const name = saveName().trim();
      if (!name || !props.text) return;
      const t = await api.createTemplate({ name, body: props.text });
      setSaveName("");
      await refetch();
      setPicked(t.id);
      setNote(`Saved as template "${t.name}".`);
    });

  return (
    <details class="subpanel template-picker" data-testid="template-picker">
      <summary>Templates</summary>
      <div class="grid-form">
        <Field label="Template" id={`${props.id}-template`}>
          <select id={`${props.id}-template`} value={picked() ?? ""} onChange={(e) => { setPicked(e.currentTarget.value ? Number(e.currentTarget.value) : null); setVars({}); }}>
            <option value="">Choose a template…</option>
            <For each={list()}>
              {(t) => (
                <option value={t.id} disabled={!usable(t)}>
                  {t.name}
                  {usable(t) ? "" : " (per-recipient variables: Send only)"}
                </option>
              )}
            </For>
          </select>
        </Field>
        <For each={custom()}>
          {(v) => (
            <Field label={`{{${v}}}`} id={`${props.id}-var-${v}`}>
              <input id={`${props.id}-var-${v}`} value={vars()[v] ?? ""} onInput={(e) => setVars((o) => ({ ...o, [v]: e.currentTarget.value }))} />
            </Field>
          )}
        </For>
      </div>
      <Show when={template()}>
        {(t) => (
          <>
            <p class="muted small">
              <code class="code">{t().body}</code>
              <Show when={props.mode === "send" && t().variables.some(isRecipientVar)}> — recipient variables are filled from the teammate in “To”.</Show>
            </p>
            <div class="actions">
              <button type="button" class="secondary" disabled={busy() || (props.mode === "send" && !props.to)} onClick={() => void fill()}>
                Fill message
              </button>
            </div>
          </>
        )}
      </Show>
      <Show when={session.can("templates:write")}>
        <div class="grid-form">
          <Field label="Save the message as template" id={`${props.id}-save-name`} hint="a name; {{variable}} placeholders are kept">
            <input id={`${props.id}-save-name`} value={saveName()} onInput={(e) => setSaveName(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="actions">
          <button type="button" class="secondary" disabled={busy() || !saveName().trim() || !props.text} onClick={() => void save()}>
            Save as template
          </button>
        </div>
      </Show>
      <Show when={note()}>
        <p class="muted small" role="status">
          {note()}
        </p>
      </Show>
      <ErrorNote error={error()} />
    </details>
  );
}
