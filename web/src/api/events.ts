// The events WebSocket (/api/v1/events): connects, reconnects with exponential backoff and
// jitter, and dispatches MeshEvent objects to subscribers (the stores). After a reconnect the
// "reconnected" listeners run so stores can refetch what they may have missed.
import { createSignal } from "solid-js";
import type { MeshEvent } from "../../../shared/api/events.ts";
import { EVENTS_CLOSE } from "../../../shared/api/enums.ts";
import { reportUnauthenticated } from "./client.ts";

export type EventsState = "idle" | "connecting" | "open" | "closed";

type Listener = (e: MeshEvent) => void;
const listeners = new Set<Listener>();
const reconnectListeners = new Set<() => void>();

const [state, setState] = createSignal<EventsState>("idle");
export const eventsState = state;

let ws: WebSocket | null = null;
let wanted = false;
let attempt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let everOpened = false;

export function subscribe(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function onReconnect(fn: () => void): () => void {
  reconnectListeners.add(fn);
  return () => reconnectListeners.delete(fn);
}

/** Delivers one event to every subscriber (also used by tests). */
export function dispatch(e: MeshEvent): void {
  for (const fn of listeners) {
    try {
      fn(e);
    } catch (err) {
      console.error("event listener failed", err);
    }
  }
}

export function backoffMs(n: number): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(n, 5));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function url(): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/v1/events`;
}

function open(): void {
  if (!wanted || typeof WebSocket === "undefined") return;
  setState("connecting");
  let sock: WebSocket;
  try {
    sock = new WebSocket(url());
  } catch {
    schedule();
    return;
  }
  ws = sock;
  sock.onopen = () => {
    attempt = 0;
    setState("open");
    if (everOpened) for (const fn of reconnectListeners) fn();
    everOpened = true;
  };
  sock.onmessage = (m) => {
    if (typeof m.data !== "string") return;
    let e: MeshEvent;
    try {
      e = JSON.parse(m.data) as MeshEvent;
    } catch {
      return;
    }
    if (e && typeof e === "object" && typeof e.type === "string") dispatch(e);
  };
  sock.onclose = (ev) => {
    if (ws === sock) ws = null;
    if (ev.code === EVENTS_CLOSE.CREDENTIAL_INVALID) {
      // Reconnecting cannot help: the session ended (signed out elsewhere, key revoked, user
      // disabled). Stop and let the session store send the user to sign in.
      wanted = false;
      clearTimeout(timer);
      setState("idle");
      reportUnauthenticated();
      return;
    }
    if (wanted) schedule();
    else setState("idle");
  };
  sock.onerror = () => {
    // onclose follows and schedules the reconnect
  };
}

function schedule(): void {
  setState("closed");
  clearTimeout(timer);
  timer = setTimeout(open, backoffMs(attempt++));
}

export function connectEvents(): void {
  if (wanted) return;
  wanted = true;
  attempt = 0;
  everOpened = false;
  open();
}

export function disconnectEvents(): void {
  wanted = false;
  clearTimeout(timer);
  const s = ws;
  ws = null;
  s?.close();
  setState("idle");
}
