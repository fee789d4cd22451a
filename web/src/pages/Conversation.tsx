// One teammate's conversation (#/team/:name/conversation?session=…): the history, oldest at the
// top and newest at the bottom, older pages loaded when scrolled to the top (keyset cursor),
// replies streamed through the messages store, a search box, and a composer that sends to the
// same teammate and session.
import { useParams, useSearchParams, A } from "@solidjs/router";
import { For, Show, createEffect, createSignal, on, onCleanup } from "solid-js";
import type { Message } from "../../../shared/api/messages.ts";
import { api } from "../api/client.ts";
import { subscribe } from "../api/events.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { MessageView } from "../components/MessageView.tsx";
import { SecretBlocked, createSecretRefusal } from "../components/SecretBlocked.tsx";
import { createAction } from "../lib/action.ts";
import { followMessage, messages, putMessage } from "../stores/messages.ts";
import { session as auth } from "../stores/session.ts";

const PAGE = 20;

export default function ConversationPage() {
  const params = useParams<{ name: string }>();
  const [search, setSearch] = useSearchParams<{ session?: string; q?: string }>();
  const handle = () => params.name.toLowerCase();
  const session = () => search.session || undefined;
  // ids oldest first; the messages themselves live in the shared store so events update them
  const [ids, setIds] = createSignal<string[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loaded, setLoaded] = createSignal(false);
  const [text, setText] = createSignal("");
  const [query, setQuery] = createSignal(search.q ?? "");
  const loading = createAction();
  const sending = createAction();
  let scroller: HTMLDivElement | undefined;

  const stops: (() => void)[] = [];
  onCleanup(() => stops.forEach((s) => s()));

  const put = (list: Message[]) => list.forEach((m) => putMessage(m));
  const toBottom = () => queueMicrotask(() => scroller && (scroller.scrollTop = scroller.scrollHeight));

  const loadFirst = () =>
    loading.run(async () => {
      const page = await api.conversation({ teammate: handle(), session: session(), q: search.q || undefined, limit: PAGE });
      put(page.items);
      setIds(page.items.map((m) => m.id).reverse());
      setCursor(page.nextCursor);
      setLoaded(true);
      toBottom();
    });

  const loadOlder = () => {
    const before = cursor();
    if (!before || loading.busy()) return;
    return loading.run(async () => {
      const page = await api.conversation({ teammate: handle(), session: session(), q: search.q || undefined, before, limit: PAGE });
      put(page.items);
      // keep what the reader looks at in place while rows are added above it
      const from = scroller ? scroller.scrollHeight - scroller.scrollTop : 0;
      setIds((cur) => [...page.items.map((m) => m.id).reverse().filter((id) => !cur.includes(id)), ...cur]);
      setCursor(page.nextCursor);
      queueMicrotask(() => scroller && (scroller.scrollTop = scroller.scrollHeight - from));
    });
  };

  // a new message to this teammate (sent here, elsewhere, or by a colleague) joins at the bottom
  stops.push(
    subscribe((e) => {
      if (e.type !== "message.updated" || e.message.to.handle !== handle()) return;
      if (session() && e.message.session !== session()) return;
      if (search.q || ids().includes(e.message.id)) return;
      setIds((cur) => [...cur, e.message.id]);
      toBottom();
    }),
  );

  // the router keeps this page when only the teammate, session or search changes: load afresh
  createEffect(
    on([handle, session, () => search.q], () => {
      setLoaded(false);
      setIds([]);
      setCursor(null);
      setQuery(search.q ?? "");
      void loadFirst();
    }),
  );

  const refusal = createSecretRefusal(text, () => sending.error());

  const send = (ev: Event) => {
    ev.preventDefault();
    return sendNow(false);
  };

  const sendNow = (allowSecrets: boolean) => {
    const body = text();
    if (!body.trim()) return;
    return sending.run(async () => {
      refusal.sending(body);
      const req = { to: handle(), message: body, session: session() ?? "main" };
      const accepted = await api.send(allowSecrets ? { ...req, allowSecrets: true } : req);
      setText("");
      if (!messages.byId[accepted.id]) putMessage(await api.message(accepted.id));
      if (!ids().includes(accepted.id)) setIds((cur) => [...cur, accepted.id]);
      stops.push(followMessage(accepted.id, 11 * 60_000));
      toBottom();
    });
  };

  const applySearch = (ev: Event) => {
    ev.preventDefault();
    setSearch({ q: query().trim() || undefined });
  };

  return (
    <section class="conversation" aria-label={`Conversation with ${params.name}`}>
      <div class="panel-head">
        <h2>
          Conversation with @{handle()}
          <Show when={session()}>
            <span class="muted"> · session {session()}</span>
          </Show>
        </h2>
        <A href="/team" class="small">
          Back to the team
        </A>
      </div>
      <form class="row" role="search" onSubmit={applySearch}>
        <label class="grow">
          <span class="sr-only">Search this conversation</span>
          <input type="search" placeholder="Search this conversation" value={query()} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <button type="submit" class="secondary">
          Search
        </button>
      </form>
      <div class="history" ref={(el) => (scroller = el)} style={{ "max-height": "60vh", overflow: "auto" }} onScroll={(e) => e.currentTarget.scrollTop < 40 && void loadOlder()} data-testid="history">
        <Show when={cursor()}>
          <button type="button" class="secondary small" disabled={loading.busy()} onClick={() => void loadOlder()}>
            Load older messages
          </button>
        </Show>
        <Show when={loaded() && !cursor() && ids().length}>
          <p class="muted small">Start of the conversation.</p>
        </Show>
        <Show when={loaded() && !ids().length}>
          <p class="muted">{search.q ? `Nothing matches “${search.q}”.` : "No messages with this teammate yet."}</p>
        </Show>
        <For each={ids()}>{(id) => <Show when={messages.byId[id]}>{(m) => <MessageView message={m()} chat />}</Show>}</For>
      </div>
      <ErrorNote error={loading.error()} />
      <Show when={auth.can("send")}>
        <form class="composer" onSubmit={send} aria-label="Reply in this conversation">
          <label>
            <span class="sr-only">Message</span>
            <textarea rows={3} placeholder={`Message @${handle()} (session ${session() ?? "main"})`} value={text()} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={sending.busy() || !text().trim()}>
            Send
          </button>
        </form>
        <Show when={refusal.findings()} fallback={<ErrorNote error={sending.error()} />}>
          {(f) => (
            <SecretBlocked
              findings={f()}
              overrideLabel="Send anyway"
              consequence={`The message goes to @${handle()} as it is, secret included; the override is recorded in the audit log.`}
              busy={sending.busy()}
              onOverride={() => void sendNow(true)}
            />
          )}
        </Show>
      </Show>
    </section>
  );
}
