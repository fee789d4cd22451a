// One sent message: status, per-round replies (streamed while generating), latency, errors,
// and the actions that apply (cancel while in flight, fetch a late reply after a timeout).
import { For, Show, createSignal, onCleanup } from "solid-js";
import type { Message } from "../../../shared/api/messages.ts";
import { api } from "../api/client.ts";
import { createAction } from "../lib/action.ts";
import { FINAL, fmtMs, fmtTime } from "../lib/format.ts";
import { messages, putMessage } from "../stores/messages.ts";
import { ErrorNote } from "./ErrorNote.tsx";
import { FallbackNote } from "./FallbackNote.tsx";
import { ReplyCut } from "./ReplyCut.tsx";
import { ReplyText } from "./ReplyText.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { Warnings } from "./Warnings.tsx";

/**
 * A round's latency. A late reply's latency is only the wait before the timeout, so it is shown
 * as "late reply, after N s" (it came later than that), never as if the agent answered in N s.
 */
export function latencyText(x: { latencyMs: number | null; late?: boolean | undefined }, timeoutSec: number): string {
  return x.late ? `late reply, after ${Math.round((x.latencyMs ?? timeoutSec * 1000) / 1000)} s` : fmtMs(x.latencyMs);
}

/** `chat`: the conversation view — the sent message shown in full as a bubble, not folded away. */
export function MessageView(props: { message: Message; stalledAfterMs?: number; chat?: boolean }) {
  const m = () => props.message;
  const { busy, error, run } = createAction();
  const [stalled, setStalled] = createSignal(false);
  const final = () => FINAL.has(m().status);
  if (props.stalledAfterMs) {
    const t = setTimeout(() => setStalled(true), props.stalledAfterMs);
    onCleanup(() => clearTimeout(t));
  }
  const act = async (fn: () => Promise<Message>) => {
    await run(async () => {
      putMessage(await fn());
    });
  };
  const latency = () => m().exchanges.reduce((s, x) => s + (x.latencyMs ?? 0), 0);
  const late = () => m().exchanges.some((x) => x.late);
  const timedOut = () => m().status === "timeout" || m().exchanges.some((x) => x.status === "timeout");
  const delta = (round: number) => messages.deltas[m().id]?.[round];

  return (
    <section class={`panel message-view${props.chat ? " chat" : ""}`} aria-label={`Message to ${m().to.handle}`} data-message-id={m().id} data-status={m().status}>
      <div class="panel-head">
        <h3>
          To {m().to.displayName || m().to.name} <span class="muted">@{m().to.handle}</span>
        </h3>
        <StatusBadge status={m().status} />
      </div>
      <p class="muted small">
        id <code>{m().id}</code> · session {m().session} · sent {fmtTime(m().createdAt)}
        <Show when={final() && m().exchanges.length}> · {late() ? latencyText({ latencyMs: latency(), late: true }, m().timeoutSec * m().rounds) : `latency ${fmtMs(latency())}`}</Show>
      </p>
      <For each={m().exchanges}>
        {(x) => (
          <div class="exchange" data-round={x.round}>
            <Show when={m().rounds > 1}>
              <h4>
                Round {x.round} <StatusBadge status={x.status} /> <span class="muted small">{latencyText(x, m().timeoutSec)}</span>
              </h4>
            </Show>
            {/* from round 2 on the message is the previous round's reply: it stays folded in a chat too */}
            <Show
              when={props.chat && x.round === 1}
              fallback={
                <details>
                  <summary>Message ({x.messageBytes} bytes)</summary>
                  <ReplyText text={x.message} label="Message sent" />
                </details>
              }
            >
              <div class="sent-bubble">
                <h4 class="reply-label">
                  Sent by {m().actor.name} <span class="muted small">({x.messageBytes} bytes)</span>
                </h4>
                <ReplyText text={x.message} label="Message sent" />
              </div>
            </Show>
            <Show when={x.reply != null || delta(x.round)}>
              <h4 class="reply-label">
                {x.reply != null
                  ? x.status === "cancelled_after_send"
                    ? "Reply (the agent answered after the cancel)"
                    : x.late
                      ? `Reply (late: it came after the ${m().timeoutSec} s timeout and was fetched later)`
                      : "Reply"
                  : FINAL.has(x.status)
                    ? "Partial reply (before it stopped)"
                    : "Reply (arriving…)"}
              </h4>
            </Show>
            <Show
              when={x.reply != null}
              fallback={
                <Show
                  when={delta(x.round)}
                  fallback={
                    <Show when={!FINAL.has(x.status)}>
                      <p class="muted" role="status">
                        Waiting for the reply…
                      </p>
                    </Show>
                  }
                >
                  <ReplyText text={delta(x.round)} class="streaming" label="Reply (still arriving)" />
                </Show>
              }
            >
              <ReplyText text={x.reply} label="Reply" />
              <ReplyCut reply={x.reply} fullBytes={x.replyFullBytes} />
            </Show>
            <Show when={x.status === "timeout" && !x.error}>
              <p class="error-inline">
                No reply within {m().timeoutSec} s. The agent may still be working: fetch the late reply in a while.{" "}
                <code class="code">GATEWAY_TIMEOUT</code>
              </p>
            </Show>
            <Show when={x.error}>
              {(e) => (
                <p class="error-inline">
                  {e().message} <code class="code">{e().code}</code>
                </p>
              )}
            </Show>
          </div>
        )}
      </For>
      <Show when={m().exchanges.length === 0 && !final()}>
        <Show when={delta(1)} fallback={<p class="muted" role="status">Queued…</p>}>
          <ReplyText text={delta(1)} class="streaming" label="Reply (still arriving)" />
        </Show>
      </Show>
      <Warnings items={m().warnings} />
      <FallbackNote fallback={m().fallback} handle={m().to.handle} />
      <Show when={stalled() && !final()}>
        <p class="banner warn" role="status">
          No final answer yet, longer than the timeout. The server may be busy or the connection lost.
        </p>
      </Show>
      <div class="actions">
        <Show when={!final()}>
          <button type="button" class="danger" disabled={busy()} onClick={() => act(() => api.cancelMessage(m().id))}>
            Cancel
          </button>
        </Show>
        <Show when={stalled() && !final()}>
          <button type="button" class="secondary" disabled={busy()} onClick={() => act(() => api.message(m().id))}>
            Refresh
          </button>
        </Show>
        <Show when={final() && timedOut()}>
          <button type="button" disabled={busy()} onClick={() => act(() => api.lateReply(m().id))}>
            {busy() ? "Fetching…" : "Fetch late reply"}
          </button>
        </Show>
      </div>
      <ErrorNote error={error()} />
    </section>
  );
}
