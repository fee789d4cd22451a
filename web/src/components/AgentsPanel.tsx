// "Agents on this gateway": lists the agents the teammate's gateway reports and adds an entry for
// each chosen one (same gateway address and credentials, so the gateway pairs this server once).
// For an entry just added with "Add and find agents" (adoptDefaultAgent), an agent id the gateway
// does not have (the form's default, main) is changed to the gateway's default agent first.
import { For, Show, createSignal, onMount } from "solid-js";
import type { AgentDiscovery, Teammate } from "../../../shared/api/teammates.ts";
import { api } from "../api/client.ts";
import { createAction } from "../lib/action.ts";
import { upsertTeammate } from "../stores/teammates.ts";
import { ErrorNote } from "./ErrorNote.tsx";

/** A handle for a new entry: the source's handle plus the agent id, within the handle rules. */
const suggestHandle = (base: string, agentId: string) => `${base}-${agentId}`.toLowerCase().replace(/[^a-z0-9._-]/g, "-").slice(0, 64);

export function AgentsPanel(props: { t: Teammate; adoptDefaultAgent?: boolean }) {
  const { busy, error, run } = createAction();
  const [found, setFound] = createSignal<AgentDiscovery | null>(null);
  const [chosen, setChosen] = createSignal<Record<string, boolean>>({});
  const [added, setAdded] = createSignal<string[]>([]);
  const [adopted, setAdopted] = createSignal<{ from: string; to: string } | null>(null);
  let adoptTried = false;
  const discover = () =>
    run(async () => {
      let d = await api.agents(props.t.handle);
      const def = d.agents.find((a) => a.isDefault && !a.teammate);
      if (props.adoptDefaultAgent && !adoptTried && def && !d.agents.some((a) => a.agentId === props.t.agentId)) {
        adoptTried = true;
        const from = props.t.agentId;
        const t = await api.updateTeammate(props.t.handle, { agentId: def.agentId, ...(def.emoji ? { agentEmoji: def.emoji } : {}) });
        upsertTeammate(t);
        setAdopted({ from, to: def.agentId });
        d = await api.agents(props.t.handle);
      }
      setFound(d);
      setChosen(Object.fromEntries(d.agents.filter((a) => !a.teammate).map((a) => [a.agentId, true])));
    });
  // A gateway that refused these credentials is not asked again by itself (OpenClaw locks an
  // address out after repeated failures): discovery waits for a click on Refresh.
  const refused = () => props.t.status.state === "auth_failed";
  onMount(() => {
    if (!refused()) void discover();
  });
  const fresh = () => found()?.agents.filter((a) => !a.teammate) ?? [];
  const picked = () => fresh().filter((a) => chosen()[a.agentId]);
  const add = () =>
    run(async () => {
      const agents = picked().map((a) => ({
        agentId: a.agentId,
        handle: suggestHandle(props.t.handle, a.agentId),
        name: a.name ?? `${props.t.name} (${a.agentId})`,
        ...(a.emoji ? { emoji: a.emoji } : {}),
      }));
      const r = await api.addAgents(props.t.handle, { agents });
      for (const t of r.items) upsertTeammate(t);
      setAdded(r.items.map((t) => t.handle));
      await discover();
    });
  return (
    <div class="subpanel" aria-label={`Agents on ${props.t.handle}'s gateway`}>
      <h4>Agents on this gateway</h4>
      <Show when={busy() && !found()}>
        <p class="muted" role="status">
          Asking the gateway for its agents…
        </p>
      </Show>
      <Show when={found()}>
        {(d) => (
          <ul class="agent-list">
            <For each={d().agents}>
              {(a) => (
                <li data-agent={a.agentId}>
                  <label>
                    <input
                      type="checkbox"
                      disabled={!!a.teammate || busy()}
                      checked={!!a.teammate || !!chosen()[a.agentId]}
                      onChange={(e) => setChosen((c) => ({ ...c, [a.agentId]: e.currentTarget.checked }))}
                    />{" "}
                    {a.emoji ? `${a.emoji} ` : ""}
                    <strong>{a.name ?? a.agentId}</strong> <code class="code">{a.agentId}</code>
                    <Show when={a.isDefault}>
                      <span class="tag">default</span>
                    </Show>
                    <Show when={a.teammate}>{(h) => <span class="muted"> — already @{h()}</span>}</Show>
                  </label>
                </li>
              )}
            </For>
          </ul>
        )}
      </Show>
      <div class="actions">
        <Show when={fresh().length > 0}>
          <button type="button" disabled={busy() || picked().length === 0} onClick={() => void add()}>
            {`Add ${picked().length === 1 ? "this agent" : `these ${picked().length} agents`}`}
          </button>
        </Show>
        <button type="button" class="secondary small" disabled={busy()} onClick={() => void discover()}>
          Refresh
        </button>
      </div>
      <Show when={refused() && !found() && !error()}>
        <p class="muted">The gateway refused these credentials, so its agents are not asked for until they change. Refresh asks once.</p>
      </Show>
      <Show when={found() && fresh().length === 0}>
        <p class="muted">Every agent of this gateway has an entry.</p>
      </Show>
      <Show when={adopted()}>
        {(a) => (
          <p class="ok-note" role="status">
            This gateway has no agent <code class="code">{a().from}</code>: @{props.t.handle} now addresses its default agent <code class="code">{a().to}</code>.
          </p>
        )}
      </Show>
      <Show when={added().length}>
        <p class="ok-note" role="status">
          Added {added().map((h) => `@${h}`).join(", ")}; they share this gateway's token and pairing.
        </p>
      </Show>
      <ErrorNote error={error()} />
    </div>
  );
}
