// Send: pick a teammate, write a message (live UTF-8 byte count), preview, send with wait:false
// and follow the reply through events (polling as a fallback).
import { For, Show, createSignal, onCleanup, onMount } from "solid-js";
import type { Message, SendPreview } from "../../../shared/api/messages.ts";
import { utf8Bytes } from "../../../shared/limits.ts";
import { api, fieldErrors } from "../api/client.ts";
import { ByteCounter, byteLevel } from "../components/ByteCounter.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { FallbackNote, fallbackOfError, handleOfError } from "../components/FallbackNote.tsx";
import { Field, TextField, describedBy } from "../components/Field.tsx";
import { MessageView } from "../components/MessageView.tsx";
import { NumberInput } from "../components/NumberInput.tsx";
import { SecretBlocked, createSecretRefusal } from "../components/SecretBlocked.tsx";
import { TeammatePicker } from "../components/TeammatePicker.tsx";
import { TemplatePicker } from "../components/TemplatePicker.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { Warnings } from "../components/Warnings.tsx";
import { createAction } from "../lib/action.ts";
import { firstLine, fmtTime, shortHash } from "../lib/format.ts";
import { followMessage, messages, putMessage } from "../stores/messages.ts";
import { session } from "../stores/session.ts";
import { loadTeammates, teammates } from "../stores/teammates.ts";

export default function SendPage() {
  const cfg = session.config;
  const [to, setTo] = createSignal("");
  const [sess, setSess] = createSignal("main");
  const [rounds, setRounds] = createSignal(1);
  const [timeoutSec, setTimeoutSec] = createSignal(cfg().timeoutSecDefault);
  const [text, setText] = createSignal("");
  const [fallback, setFallback] = createSignal(true);
  const { busy, error, run } = createAction();
  const [preview, setPreview] = createSignal<SendPreview | null>(null);
  const [currentId, setCurrentId] = createSignal<string | null>(null);
  const [recent, setRecent] = createSignal<Message[]>([]);
  let stopFollow: (() => void) | undefined;
  onCleanup(() => stopFollow?.());

  // on open and after each of your sends, so the list shows them
  const loadRecent = () =>
    api
      .messages(10)
      .then((r) => {
        for (const m of r.items) putMessage(m);
        setRecent(r.items);
      })
      .catch(() => undefined);
  onMount(() => {
    if (!teammates.loaded()) void loadTeammates();
    void loadRecent();
  });

  const bytes = () => utf8Bytes(text());
  const level = () => byteLevel(bytes(), cfg().msgSoftLimit, cfg().msgHardLimit);
  const fe = () => fieldErrors(error());
  const req = () => ({
    to: to().trim(),
    message: text(),
    session: sess().trim() || "main",
    rounds: rounds(),
    timeoutSec: timeoutSec(),
    fallback: fallback(),
  });
  const ready = () => !!to().trim() && text().length > 0 && level() !== "over" && !busy();

  const doPreview = async () => {
    await run(async () => {
      setPreview(null);
      setPreview(await api.previewSend(req()));
    });
  };

  const refusal = createSecretRefusal(text, error);

  const doSend = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!ready()) return;
    await sendNow(false);
  };

  const sendNow = async (allowSecrets: boolean) => {
    // the previous send's card goes now: under a new error it would look like this send's result
    stopFollow?.();
    stopFollow = undefined;
    setCurrentId(null);
    await run(async () => {
      setPreview(null);
      const r = req();
      refusal.sending(r.message);
      const acc = await api.send(allowSecrets ? { ...r, allowSecrets: true } : r);
      setCurrentId(acc.id);
      if (!messages.byId[acc.id]) {
        try {
          putMessage(await api.message(acc.id));
        } catch {
          // events or polling will bring it
        }
      }
      stopFollow = followMessage(acc.id, (r.timeoutSec * r.rounds + 60) * 1000);
      void loadRecent();
    });
  };

  const current = () => {
    const id = currentId();
    return id ? messages.byId[id] : undefined;
  };

  return (
    <div class="page">
      <h1>Send a message</h1>
      <form class="panel send-form" onSubmit={doSend} novalidate aria-label="Send a message">
        <div class="grid-form">
          <Field label="To" id="send-to" error={fe().to} class="wide-sm">
            <TeammatePicker
              id="send-to"
              teammates={teammates.items}
              value={to()}
              onChange={setTo}
              error={fe().to}
              describedBy={describedBy("send-to", fe().to)}
            />
          </Field>
          <TextField label="Session" id="send-session" error={fe().session} spellcheck={false} value={sess()} onInput={setSess} />
          <Field label="Rounds" id="send-rounds" error={fe().rounds}>
            <NumberInput id="send-rounds" max={cfg().roundsMax} fallback={1} value={rounds()} onChange={setRounds} />
          </Field>
          <Field label="Timeout (seconds)" id="send-timeout" error={fe().timeoutSec}>
            <NumberInput id="send-timeout" max={cfg().timeoutSecMax} fallback={cfg().timeoutSecDefault} value={timeoutSec()} onChange={setTimeoutSec} />
          </Field>
          <Field label="Message" id="send-message" error={fe().message} class="wide">
            <textarea
              id="send-message"
              rows="6"
              value={text()}
              onInput={(e) => setText(e.currentTarget.value)}
              aria-invalid={level() === "over" || !!fe().message}
              aria-describedby={`send-bytes ${describedBy("send-message", fe().message) ?? ""}`.trim()}
            />
          </Field>
        </div>
        <TemplatePicker id="send" mode="send" to={to()} text={text()} onFill={setText} />
        <ByteCounter id="send-bytes" text={text()} soft={cfg().msgSoftLimit} hard={cfg().msgHardLimit} />
        <Show when={rounds() > 1}>
          <p class="muted small" data-testid="rounds-hint">
            With {rounds()} rounds, each reply is sent back to the agent as the next round's message (your message starts round 1);
            it stops early at the first round that ends without a text reply.
          </p>
        </Show>
        <Show when={cfg().fallbackConfigured}>
          <label class="check">
            <input type="checkbox" checked={fallback()} onChange={(e) => setFallback(e.currentTarget.checked)} /> Notify the fallback webhook if
            the teammate cannot be reached (no address, no token, unreachable)
          </label>
        </Show>
        <div class="actions">
          <button type="submit" disabled={!ready()}>
            {busy() ? "Working…" : "Send"}
          </button>
          <button type="button" class="secondary" disabled={!ready()} onClick={doPreview}>
            Preview (dry run)
          </button>
        </div>
        <Show when={refusal.findings()} fallback={<ErrorNote error={error()} />}>
          {(f) => (
            <SecretBlocked
              findings={f()}
              overrideLabel="Send anyway"
              consequence={`The message goes to @${to().trim()} as it is, secret included; the override is recorded in the audit log.`}
              busy={busy()}
              onOverride={() => void sendNow(true)}
            />
          )}
        </Show>
        <FallbackNote fallback={fallbackOfError(error())} handle={handleOfError(error()) ?? to().trim()} />
      </form>

      <Show when={preview()}>
        {(p) => (
          <section class="panel" aria-label="Dry-run preview">
            <h3>Preview — nothing was sent</h3>
            <dl class="kv">
              <dt>To</dt>
              <dd>
                {p().to.displayName || p().to.name} @{p().to.handle}
              </dd>
              <dt>Gateway</dt>
              <dd>{p().gatewayUrl ?? "— (no address)"}</dd>
              <dt>Session</dt>
              <dd>{p().session}</dd>
              <dt>Rounds / timeout</dt>
              <dd>
                {p().rounds} / {p().timeoutSec} s
              </dd>
              <dt>Size / hash</dt>
              <dd>
                {p().messageBytes} bytes · <code>{shortHash(p().sha256)}</code>
              </dd>
              <dt>Token</dt>
              <dd>{p().credentialSet ? "set" : "not set"}</dd>
            </dl>
            <Show when={p().blockers.length}>
              <div class="error-note" role="alert">
                <p>
                  <strong>This send would fail:</strong>
                </p>
                <ul>
                  <For each={p().blockers}>
                    {(b) => (
                      <li>
                        {b.message} <code class="code">{b.code}</code>
                      </li>
                    )}
                  </For>
                </ul>
              </div>
            </Show>
            <Warnings items={p().warnings} />
          </section>
        )}
      </Show>

      <Show when={current()}>
        {(m) => <MessageView message={m()} stalledAfterMs={(m().timeoutSec * m().rounds + 30) * 1000} />}
      </Show>
      <Show when={currentId() && !current()}>
        <p class="muted" role="status">
          Sent; waiting for the first update…
        </p>
      </Show>

      <Show when={recent().length}>
        <section class="panel" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent messages</h2>
          <ul class="plain-list">
            <For each={recent()}>
              {(r) => {
                const m = () => messages.byId[r.id] ?? r;
                return (
                  <li>
                    <button type="button" class="linkish" onClick={() => setCurrentId(r.id)}>
                      {m().to.handle}
                    </button>{" "}
                    <StatusBadge status={m().status} /> <span class="muted small">{fmtTime(m().createdAt)}</span>{" "}
                    <span class="muted">{firstLine(m().exchanges[0]?.message, 80)}</span>
                  </li>
                );
              }}
            </For>
          </ul>
        </section>
      </Show>
    </div>
  );
}
