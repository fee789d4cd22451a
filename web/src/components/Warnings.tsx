// The warnings the API attached to a message, broadcast or preview (message and code); nothing when there are none.
import { For, Show } from "solid-js";
import type { Warning } from "../../../shared/api/common.ts";

export function Warnings(props: { items: readonly Warning[] }) {
  return (
    <Show when={props.items.length}>
      <ul class="warnings">
        <For each={props.items}>
          {(w) => (
            <li>
              {w.message} <code class="code">{w.code}</code>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
