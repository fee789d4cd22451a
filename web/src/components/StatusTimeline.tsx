// A teammate's recent checks (GET /teammates/{handle}/history) as a strip of bars, oldest left:
// colour = state, height = latency. Reloaded whenever the teammate is checked again.
import { For, Show, createResource } from "solid-js";
import type { Teammate } from "../../../shared/api/teammates.ts";
import { api } from "../api/client.ts";
import { fmtMs, fmtTime, tone, words } from "../lib/format.ts";
import { ErrorNote } from "./ErrorNote.tsx";

/** Bars drawn (the API keeps more). */
const SHOWN = 60;

export function StatusTimeline(props: { t: Teammate }) {
  const [items] = createResource(
    () => ({ handle: props.t.handle, at: props.t.status.checkedAt }),
    async ({ handle }) => (await api.history(handle)).items.slice(0, SHOWN).reverse(),
  );
  const max = () => Math.max(1, ...(items() ?? []).map((i) => i.latencyMs ?? 0));
  return (
    <div class="timeline" aria-label={`Recent checks of ${props.t.handle}`}>
      <h4>Recent checks</h4>
      <ErrorNote error={items.error} />
      <Show when={items()?.length} fallback={<p class="muted">{items.loading ? "Loading…" : "No checks yet."}</p>}>
        <ol class="timeline-bars">
          <For each={items()}>
            {(i) => (
              <li
                class={`bar ${tone(i.state)}`}
                data-state={i.state}
                style={{ height: `${20 + Math.round((80 * (i.latencyMs ?? 0)) / max())}%` }}
                title={`${fmtTime(i.at)}: ${words(i.state)}${i.latencyMs !== null ? `, ${fmtMs(i.latencyMs)}` : ""}${i.errorCode ? ` (${i.errorCode})` : ""}`}
              />
            )}
          </For>
        </ol>
        <p class="muted small">
          {items()?.length} checks, latest {words(items()?.at(-1)?.state ?? "")}
          {items()?.at(-1)?.latencyMs != null ? ` in ${fmtMs(items()?.at(-1)?.latencyMs ?? null)}` : ""}
        </p>
      </Show>
    </div>
  );
}
