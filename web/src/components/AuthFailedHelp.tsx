// What to do when a gateway refuses this dashboard's credentials: automatic checks are paused
// (OpenClaw's lockout), the commands to run on the gateway's machine, or paste a new token.
import { Show } from "solid-js";
import type { TeammateStatus } from "../../../shared/api/teammates.ts";
import { CopyButton } from "./CopyButton.tsx";

export function AuthFailedHelp(props: { status: TeammateStatus }) {
  return (
    <Show when={props.status.state === "auth_failed"}>
      <div class="subpanel auth-failed" role="note" aria-label="Credentials refused">
        <h4>Credentials refused — automatic checks paused</h4>
        <p>{props.status.hint}</p>
        <ul>
          <li>
            New device token: <code class="code">openclaw devices rotate</code> <CopyButton text="openclaw devices rotate" />
          </li>
          <li>
            Approve this dashboard's device: <code class="code">openclaw devices approve</code> (with the pending request id from <code class="code">openclaw devices list</code>)
          </li>
          <li>Or paste the gateway's current token below ("Replace token"): the gateway is checked with it at once.</li>
        </ul>
      </div>
    </Show>
  );
}
