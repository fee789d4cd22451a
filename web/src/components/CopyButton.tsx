import { createSignal } from "solid-js";

/** Copies text to the clipboard; falls back to selecting a hidden textarea. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.append(ta);
    ta.select();
    let ok: boolean;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export function CopyButton(props: { text: string; label?: string }) {
  const [state, setState] = createSignal<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      class="secondary small"
      onClick={async () => {
        setState((await copyText(props.text)) ? "copied" : "failed");
        setTimeout(() => setState("idle"), 2000);
      }}
    >
      {state() === "copied" ? "Copied" : state() === "failed" ? "Copy failed — select the text" : (props.label ?? "Copy")}
    </button>
  );
}
