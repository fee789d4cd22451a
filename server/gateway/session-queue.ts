import { gatewayAddressKey } from "./url-policy.ts";

// Runs tasks one after another per key, different keys in parallel. Used to serialize sends to
// one (gateway, session): OpenClaw steers a message sent during an active run into that run, so
// a second concurrent send would never get a reply of its own.
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running tasks. */
  get size(): number {
    return this.tails.size;
  }
}

/**
 * Queue key of a session on one gateway, whichever teammate entry addresses it. Unqualified names ("main") are resolved by the gateway to
 * `agent:<defaultAgent>:<name>`; with the usual default agent "main", "main" and "agent:main:main"
 * are the same session and must share one queue.
 */
export function sessionQueueKey(url: string, sessionKey: string): string {
  const key = sessionKey.trim();
  const canonical = key.startsWith("agent:") ? key.toLowerCase() : `agent:main:${key.toLowerCase()}`;
  return `${gatewayAddressKey(url)}|${canonical}`;
}

/** The key chat.send gets: a bare session name qualified with the target's agent; a qualified key as given. */
export function qualifySessionKey(sessionKey: string, agentId: string | undefined): string {
  const key = sessionKey.trim();
  if (!agentId || key.toLowerCase().startsWith("agent:")) return key;
  return `agent:${agentId}:${key}`;
}
