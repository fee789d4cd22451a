// Whether the fallback webhook was told about the recipients this broadcast could not reach
// (skipped for no address / no token, or unreachable): read from the audit trail's `fallback`
// entries of the broadcast when the role may read it, else said in general terms.
import { For, Show, createEffect, createSignal, on } from "solid-js";
import type { Broadcast } from "../../../shared/api/broadcasts.ts";
import { api } from "../api/client.ts";
import { words } from "../lib/format.ts";
import { session } from "../stores/session.ts";

interface Notice {
  handle: string;
  reason: string;
  outcome: string;
}

export function BroadcastFallback(props: { broadcast: Broadcast }) {
  const b = () => props.broadcast;
  const configured = () => session.config().fallbackConfigured;
  const [notices, setNotices] = createSignal<Notice[] | null>(null);
  const unaddressed = () => b().skipped.filter((s) => s.reason === "no_address" || s.reason === "no_credentials");
  // again when the board moves on (notifications run beside the fan-out, done by `completed`)
  createEffect(
    on(
      () => [b().id, b().state, b().confirmedAt] as const,
      async ([id, , confirmedAt]) => {
        if (!configured() || !b().fallback || !confirmedAt || !session.can("audit:read")) return;
        try {
          const page = await api.audit({ kind: ["fallback"], broadcastId: id, limit: 200 });
          setNotices(
            page.items.map((e) => ({
              handle: e.teammate ?? "?",
              reason: String((e.details as { reason?: unknown } | null)?.reason ?? ""),
              outcome: e.outcome,
            })),
          );
        } catch {
          setNotices(null); // the general sentence below stays
        }
      },
    ),
  );
  return (
    <Show when={configured() && b().confirmedAt}>
      <Show
        when={b().fallback}
        fallback={<p class="muted small" data-testid="fallback-off">Fallback webhook: off for this broadcast (opted out when it was created).</p>}
      >
        <Show
          when={notices()}
          fallback={
            <Show when={unaddressed().length}>
              <p class="banner ok" role="status" data-testid="fallback-general">
                Fallback: {unaddressed().map((s) => `@${s.handle}`).join(", ")} {unaddressed().length === 1 ? "has" : "have"} no address or token, so
                the fallback webhook was told instead.
              </p>
            </Show>
          }
        >
          {(list) => (
            <Show when={list().length}>
              <div class="banner ok" role="status" data-testid="fallback-notices">
                <p>The fallback webhook was told about the recipients this broadcast could not reach:</p>
                <ul>
                  <For each={list()}>
                    {(n) => (
                      <li data-handle={n.handle}>
                        @{n.handle} ({words(n.reason)}):{" "}
                        {n.outcome === "ok" ? "notified" : n.outcome === "pending" ? "notifying…" : "the webhook call failed"}
                      </li>
                    )}
                  </For>
                </ul>
              </div>
            </Show>
          )}
        </Show>
      </Show>
    </Show>
  );
}
