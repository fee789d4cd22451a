// Broadcast: compose → confirmation screen (nothing sent until clicked) → live board.
// Also lists broadcasts awaiting confirmation (e.g. created by agents with a requester key).
import { useNavigate, useParams } from "@solidjs/router";
import { For, Show, createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import { utf8Bytes } from "../../../shared/limits.ts";
import { api, asApiError, fieldErrors } from "../api/client.ts";
import { AnswersCompare } from "../components/AnswersCompare.tsx";
import { BroadcastBoard } from "../components/BroadcastBoard.tsx";
import { BroadcastConfirm } from "../components/BroadcastConfirm.tsx";
import { ByteCounter, byteLevel } from "../components/ByteCounter.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field, describedBy } from "../components/Field.tsx";
import { NumberInput } from "../components/NumberInput.tsx";
import { SecretBlocked, createSecretRefusal } from "../components/SecretBlocked.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { SchedulePanel } from "../components/SchedulePanel.tsx";
import { TemplatePicker } from "../components/TemplatePicker.tsx";
import { createAction } from "../lib/action.ts";
import { firstLine, fmtTime } from "../lib/format.ts";
import { broadcasts, loadBroadcasts, putBroadcast, refreshBroadcast } from "../stores/broadcasts.ts";
import { session } from "../stores/session.ts";
import { allTags, loadTeammates, teammates } from "../stores/teammates.ts";

function Compose() {
  const cfg = session.config;
  const navigate = useNavigate();
  const [text, setText] = createSignal("");
  const [sess, setSess] = createSignal("main");
  const [timeoutSec, setTimeoutSec] = createSignal(cfg().timeoutSecDefault);
  /** "" = everyone; else a tag, resolved by the server to exact recipients shown on the next screen. */
  const [group, setGroup] = createSignal("");
  onMount(() => {
    if (!teammates.loaded()) void loadTeammates();
  });
  const [fallback, setFallback] = createSignal(true);
  const { busy, error, run } = createAction();
  const fe = () => fieldErrors(error());
  const over = () => byteLevel(utf8Bytes(text()), cfg().msgSoftLimit, cfg().msgHardLimit) === "over";
  const refusal = createSecretRefusal(text, error);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!text() || over()) return;
    await create(false);
  };
  const create = async (allowSecrets: boolean) => {
    await run(async () => {
      refusal.sending(text());
      const b = await api.createBroadcast({
        message: text(),
        session: sess().trim() || "main",
        timeoutSec: timeoutSec(),
        fallback: fallback(),
        ...(group() ? { group: group() } : {}),
        ...(allowSecrets ? { allowSecrets: true } : {}),
      });
      putBroadcast(b);
      setText("");
      navigate(`/broadcast/${encodeURIComponent(b.id)}`);
    });
  };
  return (
    <form class="panel" onSubmit={submit} novalidate aria-labelledby="compose-title">
      <h2 id="compose-title">New broadcast</h2>
      <p class="muted">
        The next screen shows exactly who will receive it. Nothing is sent until you confirm there.
      </p>
      <div class="grid-form">
        <Field label="Message" id="bc-message" error={fe().message} class="wide">
          <textarea
            id="bc-message"
            rows="5"
            value={text()}
            onInput={(e) => setText(e.currentTarget.value)}
            aria-invalid={over() || !!fe().message}
            aria-describedby={`bc-bytes ${describedBy("bc-message", fe().message) ?? ""}`.trim()}
          />
        </Field>
        <Field label="Send to" id="bc-group" error={fe().group} hint="a group: only the teammates with that tag">
          <select id="bc-group" value={group()} onChange={(e) => setGroup(e.currentTarget.value)}>
            <option value="">Everyone</option>
            <For each={allTags()}>{(tag) => <option value={tag}>@{tag} ({teammates.items.filter((t) => t.tags.includes(tag)).length})</option>}</For>
          </select>
        </Field>
        <Field label="Session" id="bc-session" error={fe().session}>
          <input id="bc-session" value={sess()} spellcheck={false} onInput={(e) => setSess(e.currentTarget.value)} />
        </Field>
        <Field label="Timeout per agent (seconds)" id="bc-timeout" error={fe().timeoutSec}>
          <NumberInput id="bc-timeout" max={cfg().timeoutSecMax} fallback={cfg().timeoutSecDefault} value={timeoutSec()} onChange={setTimeoutSec} />
        </Field>
      </div>
      <TemplatePicker id="bc" mode="broadcast" text={text()} onFill={setText} />
      <ByteCounter id="bc-bytes" text={text()} soft={cfg().msgSoftLimit} hard={cfg().msgHardLimit} />
      <Show when={cfg().fallbackConfigured}>
        <label class="check">
          <input type="checkbox" checked={fallback()} onChange={(e) => setFallback(e.currentTarget.checked)} /> Notify the fallback webhook for
          teammates it cannot reach (no address, no token, unreachable)
        </label>
      </Show>
      <div class="actions">
        <button type="submit" disabled={busy() || !text() || over()}>
          {busy() ? "Preparing…" : "Review recipients"}
        </button>
      </div>
      <Show when={refusal.findings()} fallback={<ErrorNote error={error()} />}>
        {(f) => (
          <SecretBlocked
            findings={f()}
            overrideLabel="Continue anyway"
            consequence="The broadcast is prepared with the text as it is, secret included (the override is recorded in the audit log); the next screen still asks you to confirm the recipients."
            busy={busy()}
            onOverride={() => void create(true)}
          />
        )}
      </Show>
    </form>
  );
}

function Detail(props: { id: string }) {
  const [error, setError] = createSignal<unknown>(null);
  const b = () => broadcasts.byId[props.id];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = async () => {
    timer = undefined;
    const id = props.id;
    try {
      await refreshBroadcast(id);
      setError(null);
    } catch (e) {
      setError(asApiError(e));
    }
    if (id !== props.id || timer !== undefined) return;
    const s = b()?.state;
    // polling fallback for missed events while the board moves
    if (s === "sending") timer = setTimeout(poll, 3000);
    else if (s === "awaiting_confirmation") timer = setTimeout(poll, 15_000);
  };
  createEffect(
    on(
      () => props.id,
      () => {
        clearTimeout(timer);
        timer = undefined;
        void poll();
      },
    ),
  );
  createEffect(
    on(
      () => b()?.state,
      (s) => {
        if (s === "sending" && timer === undefined) timer = setTimeout(poll, 3000);
      },
    ),
  );
  onCleanup(() => clearTimeout(timer));
  return (
    <>
      <p>
        <a href="#/broadcast">← All broadcasts</a>
      </p>
      <ErrorNote error={error()} />
      <Show when={b()} fallback={<Show when={!error()}><p class="muted" role="status">Loading broadcast…</p></Show>}>
        {(bc) => (
          <Show
            when={bc().state === "awaiting_confirmation"}
            fallback={
              <>
                <BroadcastBoard broadcast={bc()} />
                <Show when={bc().confirmedAt && bc().recipients.length}>
                  <AnswersCompare broadcast={bc()} />
                </Show>
              </>
            }
          >
            <BroadcastConfirm
              broadcast={bc()}
              onConfirmed={(nb) => {
                putBroadcast(nb);
                clearTimeout(timer);
                timer = setTimeout(poll, 1000);
              }}
              onCancelled={(nb) => {
                putBroadcast(nb);
              }}
            />
          </Show>
        )}
      </Show>
    </>
  );
}

function List() {
  const awaiting = () => broadcasts.list().filter((b) => b.state === "awaiting_confirmation");
  const others = () => broadcasts.list().filter((b) => b.state !== "awaiting_confirmation").slice(0, 30);
  const row = (b: ReturnType<typeof broadcasts.list>[number]) => (
    <li data-broadcast-id={b.id}>
      <a href={`#/broadcast/${encodeURIComponent(b.id)}`}>{firstLine(b.message, 70) || "(empty)"}</a>{" "}
      <StatusBadge status={b.state} />{" "}
      <span class="muted small">
        {b.recipients.length} recipients · by {b.createdBy.name} · {fmtTime(b.createdAt)}
      </span>
    </li>
  );
  return (
    <>
      <ErrorNote error={broadcasts.error()}>
        <button type="button" class="secondary small" onClick={() => void loadBroadcasts()}>
          Retry
        </button>
      </ErrorNote>
      <section class="panel" aria-labelledby="awaiting-title">
        <h2 id="awaiting-title">Awaiting confirmation ({awaiting().length})</h2>
        <Show when={awaiting().length} fallback={<p class="muted">None.</p>}>
          <ul class="plain-list">
            <For each={awaiting()}>{row}</For>
          </ul>
        </Show>
      </section>
      <section class="panel" aria-labelledby="recent-bc-title">
        <h2 id="recent-bc-title">Recent broadcasts</h2>
        <Show when={others().length} fallback={<p class="muted">None yet.</p>}>
          <ul class="plain-list">
            <For each={others()}>{row}</For>
          </ul>
        </Show>
      </section>
    </>
  );
}

export default function BroadcastPage() {
  const params = useParams();
  onMount(() => void loadBroadcasts());
  return (
    <div class="page">
      <h1>Broadcast</h1>
      <Show
        when={params.id}
        fallback={
          <>
            <Show when={session.can("broadcast:create")}>
              <Compose />
            </Show>
            <List />
            <Show when={session.can("broadcast:create")}>
              <SchedulePanel />
            </Show>
          </>
        }
      >
        {(id) => <Detail id={id()} />}
      </Show>
    </div>
  );
}
