import { tone, words } from "../lib/format.ts";

export function StatusBadge(props: { status: string }) {
  return (
    <span class={`badge ${tone(props.status)}`} data-status={props.status}>
      {words(props.status)}
    </span>
  );
}
