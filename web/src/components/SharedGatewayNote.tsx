// Warns that other teammate entries point to the same gateway: they reach one agent, and sends to
// one session are queued behind each other (nothing when the gateway is not shared).
import { Show } from "solid-js";

export function SharedGatewayNote(props: { handles: readonly string[] }) {
  return (
    <Show when={props.handles.length}>
      <small class="note-warn block" role="note">
        Shares its gateway with {props.handles.map((h) => `@${h}`).join(", ")}: one agent answers both, and their sends
        to a session wait for each other.
      </small>
    </Show>
  );
}
