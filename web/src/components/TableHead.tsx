// A data table's header row: one column header per name, then (with `actions`) a last column for
// the row buttons, labelled only for screen readers.
import { For, Show } from "solid-js";

export function TableHead(props: { columns: readonly string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        <For each={props.columns}>{(c) => <th scope="col">{c}</th>}</For>
        <Show when={props.actions}>
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        </Show>
      </tr>
    </thead>
  );
}
