// Messages store: sends in progress and their replies, fed by `message.updated` and
// `message.delta` events, with polling of GET /messages/{id} as a fallback.
import { createStore, produce } from "solid-js/store";
import type { Message } from "../../../shared/api/messages.ts";
import { api } from "../api/client.ts";
import { subscribe } from "../api/events.ts";
import { FINAL } from "../lib/format.ts";

interface MessagesState {
  byId: Record<string, Message>;
  /** Streaming reply text per message id and round, until the final message arrives. */
  deltas: Record<string, Record<number, string>>;
}

const [state, setState] = createStore<MessagesState>({ byId: {}, deltas: {} });
export const messages = state;

export function putMessage(m: Message): void {
  setState("byId", m.id, m);
  // a timed-out message keeps its partial text (shown until a late reply replaces it)
  if (FINAL.has(m.status) && m.status !== "timeout") setState("deltas", produce((d) => void delete d[m.id]));
}

/**
 * Applies a `message.delta`. The server sends the reply text so far (cumulative); a chunk that
 * does not extend what we have is treated as an increment, so both forms render correctly.
 */
export function applyDelta(id: string, round: number, text: string): void {
  setState(
    "deltas",
    produce((d) => {
      const rounds = (d[id] ??= {});
      const prev = rounds[round] ?? "";
      rounds[round] = text.startsWith(prev) ? text : prev + text;
    }),
  );
}

subscribe((e) => {
  if (e.type === "message.updated") putMessage(e.message);
  else if (e.type === "message.delta") {
    const cur = state.byId[e.id];
    if (!cur || !FINAL.has(cur.status)) applyDelta(e.id, e.round, e.text);
  }
});

/**
 * Polls GET /messages/{id} until the message is final or `stop` is called; a slow fallback for
 * missed events. Gives up after `maxMs` (the server's own timeout plus a margin).
 */
export function followMessage(id: string, maxMs: number, intervalMs = 2000): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = Date.now();
  const tick = async () => {
    if (stopped) return;
    const cur = state.byId[id];
    if (cur && FINAL.has(cur.status)) return;
    try {
      putMessage(await api.message(id));
    } catch {
      // keep trying until maxMs; the page shows the last known state
    }
    const now = state.byId[id];
    if (!stopped && !(now && FINAL.has(now.status)) && Date.now() - started < maxMs) {
      timer = setTimeout(tick, intervalMs);
    }
  };
  timer = setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
