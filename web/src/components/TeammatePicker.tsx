// Type-to-pick a teammate: matches handle, name and display name (accessible combobox).
import { For, Show, createMemo, createSignal } from "solid-js";
import type { Teammate } from "../../../shared/api/teammates.ts";
import { words } from "../lib/format.ts";

export function matchTeammates(list: readonly Teammate[], q: string): Teammate[] {
  const s = q.trim().toLowerCase();
  if (!s) return [...list];
  return list.filter(
    (t) =>
      t.handle.toLowerCase().includes(s) ||
      t.name.toLowerCase().includes(s) ||
      (t.displayName ?? "").toLowerCase().includes(s),
  );
}

export function TeammatePicker(props: {
  id: string;
  teammates: readonly Teammate[];
  value: string;
  onChange: (v: string) => void;
  error?: string | null;
  describedBy?: string;
}) {
  const [open, setOpen] = createSignal(false);
  const [active, setActive] = createSignal(0);
  const matches = createMemo(() => matchTeammates(props.teammates, props.value).slice(0, 20));
  const listId = `${props.id}-list`;
  const pick = (t: Teammate) => {
    props.onChange(t.handle);
    setOpen(false);
  };
  const onKey = (e: KeyboardEvent) => {
    const n = matches().length;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => (n ? (a + 1) % n : 0));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => (n ? (a - 1 + n) % n : 0));
    } else if (e.key === "Enter" && open() && n) {
      e.preventDefault();
      const t = matches()[active()];
      if (t) pick(t);
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  };
  return (
    <div class="combo">
      <input
        id={props.id}
        role="combobox"
        autocomplete="off"
        spellcheck={false}
        aria-autocomplete="list"
        aria-expanded={open() && matches().length > 0}
        aria-controls={listId}
        aria-activedescendant={open() && matches()[active()] ? `${listId}-${active()}` : undefined}
        aria-invalid={!!props.error}
        aria-describedby={props.describedBy}
        placeholder="handle, name or display name"
        value={props.value}
        onInput={(e) => {
          props.onChange(e.currentTarget.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKey}
      />
      <Show when={open() && matches().length > 0}>
        <ul class="combo-list" role="listbox" id={listId} aria-label="Matching teammates">
          <For each={matches()}>
            {(t, i) => (
              <li
                role="option"
                id={`${listId}-${i()}`}
                aria-selected={i() === active()}
                classList={{ active: i() === active() }}
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(t);
                }}
              >
                <strong>{t.displayName || t.name}</strong> <span class="muted">@{t.handle}</span>{" "}
                <span class="muted small">{words(t.status.state)}</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  );
}
