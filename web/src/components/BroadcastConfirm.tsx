// The confirmation screen of a broadcast: exactly who receives it, who is skipped and why, the
// size and a short hash of the message, and a countdown to expiry. Nothing is sent until the
// "Send to N agents" button is clicked; Cancel calls the cancel route and never confirm. Each
// recipient shows its last presence check, so one that failed is not mistaken for a healthy one.
import { For, Show, createSignal, onCleanup, onMount } from "solid-js";
import type { Broadcast } from "../../../shared/api/broadcasts.ts";
import { api, asApiError } from "../api/client.ts";
import { countdown, fmtAgo, fmtTime, shortHash, words } from "../lib/format.ts";
import { loadTeammates, teammates } from "../stores/teammates.ts";
import { ErrorNote } from "./ErrorNote.tsx";
import { ReplyText } from "./ReplyText.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { Warnings } from "./Warnings.tsx";

export function sendLabel(n: number): string {
  return `Send to ${n} ${n === 1 ? "agent" : "agents"}`;
}

export function BroadcastConfirm(props: {
  broadcast: Broadcast;
  onConfirmed: (b: Broadcast) => void;
  onCancelled: (b: Broadcast) => void;
  /** for tests */
  now?: () => number;
}) {
  const b = () => props.broadcast;
  const [now, setNow] = createSignal(props.now?.() ?? Date.now());
  const tick = setInterval(() => setNow(props.now?.() ?? Date.now()), 1000);
  onCleanup(() => clearInterval(tick));
  const [busy, setBusy] = createSignal<"" | "confirm" | "cancel">("");
  const [error, setError] = createSignal<unknown>(null);
  const left = () => new Date(b().expiresAt).getTime() - now();
  const expired = () => left() <= 0 || b().state === "expired";
  const n = () => b().recipients.length;
  onMount(() => {
    if (!teammates.loaded() && !teammates.loading()) void loadTeammates();
  });
  const lastStatus = (handle: string) => teammates.items.find((t) => t.handle === handle)?.status;
  /** Recipients whose last check did not find them online (never checked is not a failure). */
  const doubtful = () => b().recipients.filter((r) => {
    const st = lastStatus(r.handle)?.state;
    return st !== undefined && st !== "online" && st !== "unknown";
  });

  const confirm = async () => {
    const token = b().confirmationToken;
    if (!token || expired()) return;
    setBusy("confirm");
    setError(null);
    try {
      props.onConfirmed(await api.confirmBroadcast(b().id, token));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy("");
    }
  };
  const cancel = async () => {
    setBusy("cancel");
    setError(null);
    try {
      props.onCancelled(await api.cancelBroadcast(b().id));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy("");
    }
  };

  return (
    <section class="panel confirm" aria-labelledby="confirm-title">
      <h2 id="confirm-title">Confirm broadcast</h2>
      <p>
        Created by <strong>{b().createdBy.name}</strong> ({b().createdBy.kind === "api_key" ? "API key" : b().createdBy.kind}) at{" "}
        {fmtTime(b().createdAt)}. Nothing has been sent yet.
      </p>
      <dl class="kv">
        <dt>Size</dt>
        <dd data-testid="bytes">{b().messageBytes.toLocaleString("en-US")} bytes</dd>
        <dt>Hash</dt>
        <dd>
          <code data-testid="hash" title={`sha256 ${b().sha256}`}>
            {shortHash(b().sha256)}
          </code>
        </dd>
        <dt>Session / timeout</dt>
        <dd>
          {b().session} / {b().timeoutSec} s
        </dd>
        <dt>Expires</dt>
        <dd class={expired() ? "bad-text" : ""} aria-live="polite" data-testid="expiry">
          {expired() ? "expired — create the broadcast again" : `in ${countdown(left())}`}
        </dd>
      </dl>
      <h3>Message</h3>
      <ReplyText text={b().message} label="Broadcast message" />
      <div class="two-col">
        <div>
          <h3 id="recipients-title">Will receive it ({n()})</h3>
          <Show when={b().group}>
            {(g) => (
              <p class="muted small" data-testid="group">
                Chosen by group {g().map((t) => `@${t}`).join(" or ")} when the broadcast was created; exactly these teammates.
              </p>
            )}
          </Show>
          <ul class="recipients" aria-labelledby="recipients-title" data-testid="recipients">
            <For each={b().recipients}>
              {(r) => (
                <li data-handle={r.handle} data-last-status={lastStatus(r.handle)?.state ?? ""}>
                  <strong>{r.displayName || r.name}</strong> <span class="muted">@{r.handle}</span>{" "}
                  <Show when={lastStatus(r.handle)}>
                    {(st) => (
                      <span class="last-status">
                        <StatusBadge status={st().state} />{" "}
                        <span class="muted small">
                          {st().checkedAt ? `checked ${fmtAgo(st().checkedAt)}` : "never checked"}
                          <Show when={st().error}>{(e) => <> · {e().message}</>}</Show>
                        </span>
                      </span>
                    )}
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </div>
        <div>
          <h3 id="skipped-title">Skipped ({b().skipped.length})</h3>
          <Show when={b().skipped.length} fallback={<p class="muted">Nobody is skipped.</p>}>
            <ul class="recipients" aria-labelledby="skipped-title" data-testid="skipped">
              <For each={b().skipped}>
                {(s) => (
                  <li data-handle={s.handle}>
                    <strong>{s.displayName || s.name}</strong> <span class="muted">@{s.handle}</span> —{" "}
                    <span class="reason">{words(s.reason)}</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </div>
      </div>
      <Show when={doubtful().length}>
        <p class="banner warn" role="status" data-testid="doubtful">
          {doubtful().length === 1 ? "1 recipient" : `${doubtful().length} recipients`} failed the last check (
          {doubtful().map((r) => `@${r.handle}: ${words(lastStatus(r.handle)?.state ?? "")}`).join(", ")}): the message may not reach{" "}
          {doubtful().length === 1 ? "it" : "them"}. Check the Team page, or send anyway.
        </p>
      </Show>
      <Warnings items={b().warnings} />
      <Show when={!b().confirmationToken && !expired()}>
        <p class="banner warn">Your role cannot confirm broadcasts; an operator or admin must confirm this one.</p>
      </Show>
      <div class="actions">
        <button
          type="button"
          class="primary"
          disabled={!!busy() || expired() || !b().confirmationToken || n() === 0}
          onClick={confirm}
        >
          {busy() === "confirm" ? "Sending…" : sendLabel(n())}
        </button>
        <button type="button" class="secondary" disabled={!!busy()} onClick={cancel}>
          {busy() === "cancel" ? "Cancelling…" : "Cancel"}
        </button>
      </div>
      <ErrorNote error={error()} />
    </section>
  );
}
