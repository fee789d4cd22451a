// Broadcasts store: list and details, fed by `broadcast.updated` / `broadcast.recipient` events.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import type { Broadcast } from "../../../shared/api/broadcasts.ts";
import { api, asApiError, type ApiError } from "../api/client.ts";
import { onReconnect, subscribe } from "../api/events.ts";

const [byId, setById] = createStore<Record<string, Broadcast>>({});
const [order, setOrder] = createSignal<string[]>([]);
const [error, setError] = createSignal<ApiError | null>(null);
const [loaded, setLoaded] = createSignal(false);

export const broadcasts = {
  byId,
  error,
  loaded,
  list: () => order().map((id) => byId[id]).filter((b): b is Broadcast => !!b),
};

export function putBroadcast(b: Broadcast): void {
  const prev = byId[b.id];
  // keep a confirmation token we already hold if an event copy came without it
  const next = prev && prev.confirmationToken && !b.confirmationToken && b.state === "awaiting_confirmation"
    ? { ...b, confirmationToken: prev.confirmationToken }
    : b;
  setById(b.id, reconcile(next));
  if (!order().includes(b.id)) {
    setOrder((o) => [b.id, ...o].sort((x, y) => (byId[y]?.createdAt ?? "").localeCompare(byId[x]?.createdAt ?? "")));
  }
}

export async function loadBroadcasts(): Promise<void> {
  try {
    const r = await api.broadcasts();
    for (const b of r.items) putBroadcast(b);
    setError(null);
    setLoaded(true);
  } catch (e) {
    setError(asApiError(e));
  }
}

export async function refreshBroadcast(id: string): Promise<Broadcast> {
  const b = await api.broadcast(id);
  putBroadcast(b);
  return b;
}

subscribe((e) => {
  if (e.type === "broadcast.updated") putBroadcast(e.broadcast);
  else if (e.type === "broadcast.recipient") {
    if (!byId[e.id]) return;
    setById(
      e.id,
      "recipients",
      produce((list) => {
        const i = list.findIndex((r) => r.handle === e.recipient.handle);
        if (i >= 0) list[i] = e.recipient;
        else list.push(e.recipient);
      }),
    );
  }
});
onReconnect(() => {
  if (loaded()) void loadBroadcasts();
});

/** Broadcasts waiting for someone to confirm them: the home page's list and the nav badge. */
export const awaitingBroadcasts = () => broadcasts.list().filter((b) => b.state === "awaiting_confirmation");
