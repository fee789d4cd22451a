// "checked 7 min ago", and "— stale" once the status is older than the sweep keeps it (staleAt),
// so the Team page never passes an old status off as current.
import { Show } from "solid-js";
import type { TeammateStatus } from "../../../shared/api/teammates.ts";
import { fmtAgo, fmtTime } from "../lib/format.ts";

export function isStale(s: TeammateStatus, now: number): boolean {
  return s.staleAt !== null && Date.parse(s.staleAt) <= now;
}

export function StatusFreshness(props: { status: TeammateStatus; now: number }) {
  return (
    <Show when={props.status.checkedAt}>
      <small class="muted block freshness" title={fmtTime(props.status.checkedAt)} data-stale={isStale(props.status, props.now) ? "true" : "false"}>
        checked {fmtAgo(props.status.checkedAt, props.now)}
        <Show when={isStale(props.status, props.now)}>
          {" "}
          — <span class="note-warn">stale{props.status.autoCheck === "paused" ? " (automatic checks paused)" : ""}</span>
        </Show>
      </small>
    </Show>
  );
}
