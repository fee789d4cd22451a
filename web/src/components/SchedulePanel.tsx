// Scheduled broadcasts: create one (once at a time, or repeating by cron with a preview of the
// next runs in words), list them with their next run and last runs; an admin may pre-approve the
// exact text and recipients so runs need no confirmation (the approval lapses if either changes).
// Edit fills the form with a schedule and saves only what changed (PATCH).
import { For, Show, createSignal, onCleanup, onMount } from "solid-js";
import type { Schedule, SchedulePreview, ScheduleUpdate } from "../../../shared/api/schedules.ts";
import { api, asApiError, fieldErrors } from "../api/client.ts";
import { createAction } from "../lib/action.ts";
import { fmtTime } from "../lib/format.ts";
import { session } from "../stores/session.ts";
import { allTags } from "../stores/teammates.ts";
import { ErrorNote } from "./ErrorNote.tsx";
import { Field } from "./Field.tsx";

export function SchedulePanel() {
  const [items, setItems] = createSignal<Schedule[]>([]);
  const [name, setName] = createSignal("");
  const [message, setMessage] = createSignal("");
  const [group, setGroup] = createSignal("");
  const [kind, setKind] = createSignal<"cron" | "once">("cron");
  const [cron, setCron] = createSignal("0 9 * * 1-5");
  const [runAt, setRunAt] = createSignal("");
  const [zone, setZone] = createSignal(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [preview, setPreview] = createSignal<SchedulePreview | null>(null);
  const [previewError, setPreviewError] = createSignal<unknown>(null);
  const [editing, setEditing] = createSignal<Schedule | null>(null);
  const { busy, error, run } = createAction();
  const fe = () => fieldErrors(error());
  const load = () => run(async () => setItems((await api.schedules()).items));
  onMount(() => {
    void load();
    void refreshPreview();
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  async function refreshPreview() {
    if (kind() !== "cron" || !cron().trim()) return setPreview(null);
    try {
      setPreview(await api.previewSchedule(cron(), zone()));
      setPreviewError(null);
    } catch (e) {
      setPreview(null);
      setPreviewError(asApiError(e));
    }
  }
  const previewSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refreshPreview(), 300);
  };

  const resetForm = () => {
    setEditing(null);
    setName("");
    setMessage("");
  };
  const startEdit = (s: Schedule) => {
    setEditing(s);
    setName(s.name);
    setMessage(s.message);
    setGroup(s.tags?.[0] ?? "");
    setKind(s.cron ? "cron" : "once");
    if (s.cron) setCron(s.cron);
    setRunAt(s.runAt ? localInput(s.runAt) : "");
    setZone(s.timezone);
    void refreshPreview();
    document.getElementById("sc-name")?.focus();
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    void run(async () => {
      const when = kind() === "cron" ? { cron: cron(), timezone: zone() } : { runAt: runAt() ? new Date(runAt()).toISOString() : "", timezone: zone() };
      const cur = editing();
      if (cur) {
        // the select shows one tag: a schedule for several keeps them unless another is picked
        const tags = group() === (cur.tags?.[0] ?? "") ? undefined : group() ? [group()] : null;
        const patch = changesOf(cur, { name: name(), message: message(), tags, ...when });
        if (!Object.keys(patch).length) return resetForm();
        const n = await api.updateSchedule(cur.id, patch);
        setItems((l) => l.map((x) => (x.id === n.id ? n : x)));
        resetForm();
        return;
      }
      const s = await api.createSchedule({ name: name(), message: message(), ...when, ...(group() ? { tags: [group()] } : {}) });
      setItems((list) => [...list, s]);
      resetForm();
    });
  };

  return (
    <section class="panel" aria-labelledby="schedules-title">
      <h2 id="schedules-title">Scheduled broadcasts</h2>
      <p class="muted">Each run creates a broadcast that waits for confirmation here, unless an admin pre-approved exactly its text and recipients.</p>
      <form class="grid-form" onSubmit={submit} novalidate aria-label={editing() ? "Edit scheduled broadcast" : "New scheduled broadcast"}>
        <Show when={editing()}>
          {(s) => (
            <p class="wide small" role="status">
              Editing “{s().name}”.{s().approval ? " A new text or group ends its pre-approval; timing and name keep it." : ""}
            </p>
          )}
        </Show>
        <Field label="Schedule name" id="sc-name" error={fe().name}>
          <input id="sc-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Schedule for" id="sc-group">
          <select id="sc-group" value={group()} onChange={(e) => setGroup(e.currentTarget.value)}>
            <option value="">Everyone</option>
            <For each={allTags()}>{(tag) => <option value={tag}>@{tag}</option>}</For>
          </select>
        </Field>
        <Field label="Scheduled message" id="sc-message" error={fe().message} class="wide">
          <textarea id="sc-message" rows="3" value={message()} onInput={(e) => setMessage(e.currentTarget.value)} />
        </Field>
        <Field label="When" id="sc-kind">
          <select id="sc-kind" value={kind()} onChange={(e) => { setKind(e.currentTarget.value as "cron" | "once"); void refreshPreview(); }}>
            <option value="cron">Repeat (cron)</option>
            <option value="once">Once</option>
          </select>
        </Field>
        <Show
          when={kind() === "cron"}
          fallback={
            <Field label="At" id="sc-run-at" error={fe().runAt}>
              <input id="sc-run-at" type="datetime-local" value={runAt()} onInput={(e) => setRunAt(e.currentTarget.value)} />
            </Field>
          }
        >
          <Field label="Cron" id="sc-cron" error={fe().cron} hint="minute hour day month weekday, e.g. 0 9 * * 1-5">
            <input id="sc-cron" value={cron()} spellcheck={false} onInput={(e) => { setCron(e.currentTarget.value); previewSoon(); }} />
          </Field>
        </Show>
        <Field label="Time zone" id="sc-zone" error={fe().timezone}>
          <input id="sc-zone" value={zone()} spellcheck={false} onInput={(e) => { setZone(e.currentTarget.value); previewSoon(); }} />
        </Field>
        <Show when={kind() === "cron"}>
          <div class="wide" aria-live="polite">
            <Show when={preview()} fallback={<ErrorNote error={previewError()} />}>
              {(p) => (
                <>
                  <h3 id="sc-next-title">Next runs</h3>
                  <ol class="plain-list" aria-labelledby="sc-next-title" data-testid="next-runs">
                    <For each={p().human}>{(h) => <li>{h}</li>}</For>
                  </ol>
                </>
              )}
            </Show>
          </div>
        </Show>
        <div class="actions wide">
          <button type="submit" disabled={busy() || !name().trim() || !message()}>
            {editing() ? "Save changes" : "Create schedule"}
          </button>
          <Show when={editing()}>
            <button type="button" class="secondary" onClick={resetForm}>
              Cancel edit
            </button>
          </Show>
        </div>
      </form>
      <ErrorNote error={error()} />
      <Show when={items().length} fallback={<p class="muted">No schedules yet.</p>}>
        <ul class="plain-list" data-testid="schedules">
          <For each={items()}>
            {(s) => (
              <li data-schedule-id={s.id}>
                <strong>{s.name}</strong> <span class="muted small">{s.cron ? `cron ${s.cron} (${s.timezone})` : "once"}{s.tags ? ` · ${s.tags.map((t) => `@${t}`).join(" ")}` : ""}</span>{" "}
                <span class="small">next: {s.nextRunAt ? fmtTime(s.nextRunAt) : "none"}</span>
                <Show when={!s.enabled}>
                  <span class="small"> · paused</span>
                </Show>{" "}
                <Show when={s.approval} fallback={<span class="muted small">· each run needs confirmation</span>}>
                  {(a) => <span class="small">· pre-approved for {a().recipients.join(", ")} by {a().by.name}</span>}
                </Show>{" "}
                <Show when={session.can("users:manage") && !s.approval}>
                  <button type="button" class="secondary small" disabled={busy()} onClick={() => void run(async () => { const n = await api.approveSchedule(s.id); setItems((l) => l.map((x) => (x.id === n.id ? n : x))); })}>
                    Pre-approve
                  </button>
                </Show>
                <button type="button" class="secondary small" disabled={busy()} onClick={() => startEdit(s)}>
                  Edit
                </button>
                <button type="button" class="secondary small" disabled={busy()} onClick={() => void run(async () => { const n = await api.updateSchedule(s.id, { enabled: !s.enabled }); setItems((l) => l.map((x) => (x.id === n.id ? n : x))); })}>
                  {s.enabled ? "Pause" : "Resume"}
                </button>
                <button type="button" class="secondary small" disabled={busy()} onClick={() => void run(async () => { await api.deleteSchedule(s.id); setItems((l) => l.filter((x) => x.id !== s.id)); })}>
                  Delete
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

/** An ISO time as a datetime-local input's value, in the browser's zone. */
function localInput(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Only the fields that differ from `cur`: an unchanged past runAt would be refused, an unchanged text must not look edited. */
function changesOf(cur: Schedule, next: { name: string; message: string; tags: string[] | null | undefined; cron?: string; runAt?: string; timezone: string }): ScheduleUpdate {
  const out: ScheduleUpdate = {};
  if (next.name !== cur.name) out.name = next.name;
  if (next.message !== cur.message) out.message = next.message;
  if (next.tags !== undefined) out.tags = next.tags;
  if (next.cron !== undefined && next.cron !== cur.cron) out.cron = next.cron;
  if (next.runAt !== undefined && next.runAt !== cur.runAt) out.runAt = next.runAt;
  if (next.timezone !== cur.timezone) out.timezone = next.timezone;
  return out;
}
