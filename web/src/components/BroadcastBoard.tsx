// Live board of a confirmed broadcast: one row per recipient moving through its states; then the
// fallback notices, cancel (after a confirm step) and retry.
import { For, Show, createSignal } from "solid-js";
import type { Broadcast } from "../../../shared/api/broadcasts.ts";
import { api } from "../api/client.ts";
import { createAction } from "../lib/action.ts";
import { FAILED, FINAL, firstLine, fmtMs, fmtTime, shortHash } from "../lib/format.ts";
import { putBroadcast } from "../stores/broadcasts.ts";
import { session } from "../stores/session.ts";
import { DataTable } from "./DataTable.tsx";
import { BroadcastFallback } from "./BroadcastFallback.tsx";
import { ErrorNote } from "./ErrorNote.tsx";
import { ReplyCut } from "./ReplyCut.tsx";
import { ReplyText } from "./ReplyText.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

export function BroadcastBoard(props: { broadcast: Broadcast }) {
  const b = () => props.broadcast;
  const [open, setOpen] = createSignal<Record<string, boolean>>({});
  const { busy, error, run } = createAction();
  const inFlight = () => b().recipients.filter((r) => !FINAL.has(r.status)).length;
  const failedList = () => b().recipients.filter((r) => FAILED.has(r.status));
  const failed = () => failedList().length;
  // The retry reuses the run of an attempt the gateway accepted and did not fail (timeout, lost
  // connection, interrupted: server/messaging/broadcast-fanout.ts): nothing is sent again, it
  // waits for that run's (late) reply. Only the others get the message again.
  const sameRun = () => failedList().filter((r) => r.runId !== null && r.error?.code !== "GATEWAY_ERROR").length;
  const done = () => b().recipients.length - inFlight();
  const [confirmCancel, setConfirmCancel] = createSignal(false);
  const act = async (fn: () => Promise<Broadcast>) => {
    await run(async () => {
      putBroadcast(await fn());
    });
  };
  const retryLabel = () =>
    sameRun() === failed()
      ? `Collect late ${sameRun() === 1 ? "reply" : "replies"} (${failed()} timed out)`
      : `Retry ${failed()} failed`;
  return (
    <section class="panel board" aria-labelledby="board-title" data-state={b().state}>
      <div class="panel-head">
        <h2 id="board-title">Broadcast</h2>
        <Show when={b().state === "completed" && failed() > 0} fallback={<StatusBadge status={b().state} />}>
          <span class="badge warn" data-status="completed">
            finished — {failed()} failed
          </span>
        </Show>
      </div>
      <p class="muted small">
        id <code>{b().id}</code> · {b().messageBytes} bytes · <code>{shortHash(b().sha256)}</code> · created{" "}
        {fmtTime(b().createdAt)} by {b().createdBy.name}
        <Show when={b().confirmedBy}> · confirmed by {b().confirmedBy?.name}</Show>
      </p>
      <details>
        <summary>Message</summary>
        <ReplyText text={b().message} label="Broadcast message" />
      </details>
      <Show when={!b().confirmedAt && (b().state === "cancelled" || b().state === "expired")}>
        <p class="banner ok" role="status">
          This broadcast was {b().state === "expired" ? "never confirmed and expired" : "cancelled before confirmation"}:
          nothing was sent to anyone.
        </p>
      </Show>
      <Show when={b().recipients.length && b().confirmedAt}>
        <p role="status" aria-live="polite">
          {done()} of {b().recipients.length} finished
          <Show when={failed()}> — {failed()} failed</Show>.
        </p>
        <progress max={b().recipients.length} value={done()} aria-label="Recipients finished" />
      </Show>
      <DataTable class="board-table" columns={["Recipient", "State", "Latency", "Attempts", "Reply"]}>
        <For each={b().recipients}>
          {(r) => (
            <tr data-handle={r.handle} data-status={r.status}>
              <td data-label="Recipient">
                <strong>{r.displayName || r.name}</strong> <span class="muted">@{r.handle}</span>
              </td>
              <td data-label="State">
                <StatusBadge status={r.status} />
              </td>
              <td data-label="Latency">{fmtMs(r.latencyMs)}</td>
              <td data-label="Attempts">{r.attempts}</td>
              <td data-label="Reply" class="reply-cell">
                <Show when={r.reply != null}>
                  <button
                    type="button"
                    class="linkish"
                    aria-expanded={!!open()[r.handle]}
                    onClick={() => setOpen((o) => ({ ...o, [r.handle]: !o[r.handle] }))}
                  >
                    {open()[r.handle] ? "Hide" : "Show"}
                  </button>{" "}
                  <Show when={open()[r.handle]} fallback={<span class="first-line">{firstLine(r.reply)}</span>}>
                    <ReplyText text={r.reply} label={`Reply from ${r.handle}`} />
                    <ReplyCut reply={r.reply} fullBytes={r.replyFullBytes} />
                  </Show>
                </Show>
                <Show when={r.error}>
                  {(e) => (
                    <span class="error-inline">
                      {e().message} <code class="code">{e().code}</code>
                    </span>
                  )}
                </Show>
              </td>
            </tr>
          )}
        </For>
      </DataTable>
      <Show when={b().skipped.length}>
        <p class="muted small">
          Skipped: {b().skipped.map((s) => `${s.handle} (${s.reason.replace(/_/g, " ")})`).join(", ")}
        </p>
      </Show>
      <BroadcastFallback broadcast={b()} />
      <Show when={session.can("broadcast:confirm")}>
        <div class="actions">
          <Show when={b().state === "sending" && inFlight() > 0 && !confirmCancel()}>
            <button type="button" class="danger" disabled={busy()} onClick={() => setConfirmCancel(true)}>
              Cancel {inFlight()} in flight…
            </button>
          </Show>
          <Show when={failed() > 0 && b().state !== "awaiting_confirmation"}>
            <button
              type="button"
              disabled={busy() || inFlight() > 0}
              aria-describedby={sameRun() ? "retry-hint" : undefined}
              onClick={() => act(() => api.retryBroadcast(b().id))}
            >
              {retryLabel()}
            </button>
          </Show>
        </div>
        <Show when={b().state === "sending" && inFlight() > 0 && confirmCancel()}>
          <div class="confirm-step" role="alertdialog" aria-labelledby="cancel-q" aria-describedby="cancel-what">
            <p id="cancel-q">
              <strong>Cancel this broadcast?</strong>
            </p>
            <p id="cancel-what" class="small">
              Recipients still queued will not get the message. For those already being sent to, the run is aborted, but the agent may already have
              the message (shown as "cancelled — may have been delivered"). This cannot be undone.
            </p>
            <div class="actions">
              <button
                type="button"
                class="danger"
                disabled={busy()}
                onClick={async () => {
                  await act(() => api.cancelBroadcast(b().id));
                  setConfirmCancel(false);
                }}
              >
                {busy() ? "Cancelling…" : "Yes, cancel the broadcast"}
              </button>
              <button type="button" class="secondary" disabled={busy()} onClick={() => setConfirmCancel(false)}>
                Keep sending
              </button>
            </div>
          </div>
        </Show>
        <Show when={sameRun() > 0 && b().state === "completed"}>
          <p id="retry-hint" class="muted small">
            {sameRun() === failed() ? "These" : `${sameRun()} of the ${failed()}`} timed out (or lost the connection) after the gateway accepted the message:
            retrying does not send it to them again, it collects the late reply of that same run (the same idempotency key).
            <Show when={sameRun() < failed()}> The other {failed() - sameRun()} are sent the message again.</Show>
          </p>
        </Show>
      </Show>
      <ErrorNote error={error()} />
    </section>
  );
}
