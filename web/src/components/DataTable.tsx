// A data table in its scrolling wrapper: optional screen-reader caption, one column header per
// name, then (with `actions`) a last column for the row buttons, labelled only for screen readers.
// The children are the body rows.
import { For, Show, type JSX } from "solid-js";

export function DataTable(props: {
  class?: string;
  caption?: string;
  columns: readonly string[];
  actions?: boolean;
  children: JSX.Element;
}) {
  return (
    <div class="table-wrap">
      <table class={props.class ? `data ${props.class}` : "data"}>
        <Show when={props.caption}>
          <caption class="sr-only">{props.caption}</caption>
        </Show>
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
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
