// The approve command for a pending pairing, built here from the request id and shown only when the
// id has OpenClaw's format: the dashboard never offers to copy a command made of unchecked data.
import { Show } from "solid-js";
import type { TeammateStatus } from "../../../shared/api/teammates.ts";
import { approveCommand } from "../../../shared/pairing.ts";
import { CopyButton } from "./CopyButton.tsx";

export function PairingCommand(props: { pairing: TeammateStatus["pairing"] }) {
  return (
    <Show
      when={props.pairing && approveCommand(props.pairing.requestId)}
      fallback={<p class="muted">The gateway did not send a valid pairing request id yet. Re-check to ask again.</p>}
    >
      {(command) => (
        <div class="command">
          <code>{command()}</code>
          <CopyButton text={command()} label="Copy command" />
        </div>
      )}
    </Show>
  );
}
