// The home page: who is online, broadcasts awaiting confirmation, recent replies and failed
// deliveries to look at, each linking to where it is handled. Composed from the existing
// stores and GET /messages; teammates and broadcasts stay live through the events stream.
import { A } from "@solidjs/router";
import { For, Show, createSignal, onCleanup, onMount } from "solid-js";
import type { Message } from "../../../shared/api/messages.ts";
import { api } from "../api/client.ts";
import { subscribe } from "../api/events.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { createAction } from "../lib/action.ts";
import { FAILED, firstLine, fmtAgo } from "../lib/format.ts";
import { awaitingBroadcasts, loadBroadcasts } from "../stores/broadcasts.ts";
import { session } from "../stores/session.ts";
import { loadTeammates, teammates } from "../stores/teammates.ts";

const RECENT = 50;

const conversationHref = (m: Message) => `/team/${encodeURIComponent(m.to.handle)}/conversation${m.session === "main" ? "" : `?session=${encodeURIComponent(m.session)}`}`;
const lastReply = (m: Message) => [...m.exchanges].reverse().find((x) => x.reply != null)?.reply ?? "";

export default function HomePage() {
  const [recent, setRecent] = createSignal<Message[]>([]);
  const recentLoad = createAction();
  const canMessages = () => session.can("send") || session.can("audit:read");

  onMount(() => {
    if (session.can("teammates:read")) void loadTeammates();
    if (session.can("broadcast:create") || session.can("broadcast:confirm")) void loadBroadcasts();
    if (canMessages()) void recentLoad.run(async () => setRecent((await api.messages(RECENT)).items));
  });
  onCleanup(
    subscribe((e) => {
      if (e.type !== "message.updated") return;
      setRecent((cur) => [e.message, ...cur.filter((m) => m.id !== e.message.id)].slice(0, RECENT));
    }),
  );

  const online = () => teammates.items.filter((t) => t.status.state === "online");
  const replies = () => recent().filter((m) => m.status === "replied").slice(0, 10);
  const failed = () => recent().filter((m) => FAILED.has(m.status)).slice(0, 10);

  return (
    <div class="home">
      <h2>Home</h2>
      <Show when={session.can("teammates:read")}>
        <section class="panel" aria-label="Online">
          <h3>Online ({online().length} of {teammates.items.length})</h3>
          <Show when={online().length} fallback={<p class="muted">No teammate answered its last check. Check them on the Team page.</p>}>
            <ul class="plain">
              <For each={online()}>
                {(t) => (
                  <li>
                    <A href={`/team/${encodeURIComponent(t.handle)}/conversation`}>{t.displayName || t.name}</A> <span class="muted">@{t.handle} · checked {fmtAgo(t.status.checkedAt)}</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      </Show>
      <Show when={session.can("broadcast:create") || session.can("broadcast:confirm")}>
        <section class="panel" aria-label="Awaiting confirmation">
          <h3>Broadcasts awaiting confirmation ({awaitingBroadcasts().length})</h3>
          <Show when={awaitingBroadcasts().length} fallback={<p class="muted">None waiting.</p>}>
            <ul class="plain">
              <For each={awaitingBroadcasts()}>
                {(b) => (
                  <li>
                    <A href={`/broadcast/${encodeURIComponent(b.id)}`}>{firstLine(b.message, 80)}</A>{" "}
                    <span class="muted">
                      to {b.recipients.length} · {fmtAgo(b.createdAt)}
                    </span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      </Show>
      <Show when={canMessages()}>
        <section class="panel" aria-label="Recent replies">
          <h3>Recent replies</h3>
          <Show when={replies().length} fallback={<p class="muted">No replies among the last {RECENT} messages.</p>}>
            <ul class="plain">
              <For each={replies()}>
                {(m) => (
                  <li>
                    <A href={conversationHref(m)}>@{m.to.handle}</A> <span class="muted">{fmtAgo(m.completedAt ?? m.createdAt)}:</span> {firstLine(lastReply(m), 100)}
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
        <section class="panel" aria-label="Failed deliveries">
          <h3>Failed deliveries</h3>
          <Show when={failed().length} fallback={<p class="muted">No failed delivery among the last {RECENT} messages.</p>}>
            <ul class="plain">
              <For each={failed()}>
                {(m) => (
                  <li>
                    <StatusBadge status={m.status} /> <A href={conversationHref(m)}>@{m.to.handle}</A> <span class="muted">{fmtAgo(m.createdAt)}:</span> {firstLine(m.exchanges[0]?.message, 80)}
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
        <ErrorNote error={recentLoad.error()} />
      </Show>
    </div>
  );
}
