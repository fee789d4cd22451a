// Says that a stored reply is only the first part of what the agent answered (MESH_REPLY_MAX_BYTES).
import { Show } from "solid-js";
import { utf8Bytes } from "../../../shared/limits.ts";
import { fmtBytes } from "../lib/format.ts";

export function ReplyCut(props: { reply: string | null; fullBytes: number | null | undefined }) {
  return (
    <Show when={props.fullBytes != null && props.reply != null}>
      <p class="muted small reply-cut" role="note">
        Reply truncated: the first {fmtBytes(utf8Bytes(props.reply ?? ""))} of {fmtBytes(props.fullBytes ?? 0)} are kept.
      </p>
    </Show>
  );
}
