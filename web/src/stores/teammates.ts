// Teammates store: the registry with live presence from `teammate.status` events.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import type { Teammate } from "../../../shared/api/teammates.ts";
import { api, asApiError, type ApiError } from "../api/client.ts";
import { onReconnect, subscribe } from "../api/events.ts";

const [items, setItems] = createStore<Teammate[]>([]);
const [loading, setLoading] = createSignal(false);
const [loaded, setLoaded] = createSignal(false);
const [error, setError] = createSignal<ApiError | null>(null);

export const teammates = { items, loading, loaded, error };

/** Every tag (group) in use, sorted: the choices of the Team filter and the Broadcast group. */
export const allTags = (): string[] => [...new Set(items.flatMap((t) => t.tags))].sort();

export function upsertTeammate(t: Teammate): void {
  setItems(
    produce((list) => {
      const i = list.findIndex((x) => x.handle === t.handle);
      if (i >= 0) list[i] = t;
      else {
        list.push(t);
        list.sort((a, b) => a.handle.localeCompare(b.handle));
      }
    }),
  );
}

export function removeTeammate(handle: string): void {
  setItems((list) => list.filter((x) => x.handle !== handle));
}

export async function loadTeammates(): Promise<void> {
  setLoading(true);
  try {
    const r = await api.teammates();
    setItems(reconcile([...r.items].sort((a, b) => a.handle.localeCompare(b.handle)), { key: "handle" }));
    setError(null);
    setLoaded(true);
  } catch (e) {
    setError(asApiError(e));
  } finally {
    setLoading(false);
  }
}

let reloadTimer: ReturnType<typeof setTimeout> | undefined;
function reloadSoon(): void {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => void loadTeammates(), 250);
}

subscribe((e) => {
  if (e.type === "teammate.status") {
    const i = items.findIndex((x) => x.handle === e.handle);
    if (i >= 0) setItems(i, "status", reconcile(e.status));
  } else if (e.type === "teammates.changed") {
    if (loaded()) reloadSoon();
  }
});
onReconnect(() => {
  if (loaded()) reloadSoon();
});
