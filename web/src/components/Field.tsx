// A labelled form control with its validation message (aria-describedby ties them together).
import { Show, type JSX } from "solid-js";

let seq = 0;
export function fieldId(name: string): string {
  return `f-${name}-${++seq}`;
}

export function Field(props: {
  label: string;
  id: string;
  error?: string | null;
  hint?: string;
  children: JSX.Element;
  class?: string;
}) {
  return (
    <div class={`field ${props.class ?? ""}`} classList={{ invalid: !!props.error }}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      <Show when={props.hint}>
        <small class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </small>
      </Show>
      <Show when={props.error}>
        <small class="field-error" id={`${props.id}-err`} role="alert">
          {props.error}
        </small>
      </Show>
    </div>
  );
}

export function describedBy(id: string, error?: string | null, hint?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-err` : ""].filter(Boolean).join(" ");
  return ids || undefined;
}
