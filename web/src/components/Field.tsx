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

/** A Field holding a text input bound to `value`, marked invalid and described by its error (and hint). */
export function TextField(
  props: {
    label: string;
    id: string;
    value: string;
    onInput: (value: string) => void;
    error?: string | null;
    hint?: string;
    class?: string;
  } & Pick<JSX.InputHTMLAttributes<HTMLInputElement>, "type" | "name" | "placeholder" | "autocomplete" | "autocapitalize" | "spellcheck" | "required">,
) {
  return (
    <Field label={props.label} id={props.id} error={props.error} hint={props.hint} class={props.class}>
      <input
        id={props.id}
        name={props.name}
        type={props.type}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        autocapitalize={props.autocapitalize}
        spellcheck={props.spellcheck}
        required={props.required}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        aria-invalid={!!props.error}
        aria-describedby={describedBy(props.id, props.error, props.hint)}
      />
    </Field>
  );
}
