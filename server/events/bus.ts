// In-process publish/subscribe. A listener that throws is logged and never breaks a publisher.
import type { MeshEvent } from "../../shared/api/events.ts";
import type { Logger } from "../logger.ts";
import type { EventBus } from "./types.ts";

export interface EventBusOptions {
  /** Holds an event until the writes it reports are committed (see db/write-batch.ts). */
  whenCommitted?: (deliver: () => void) => void;
}

export function createEventBus(logger?: Logger, opts: EventBusOptions = {}): EventBus & { listenerCount(): number } {
  const listeners = new Set<(event: MeshEvent) => void>();
  const deliver = (event: MeshEvent) => {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        logger?.warn({ err, type: event.type }, "event listener failed");
      }
    }
  };
  return {
    publish(event) {
      if (opts.whenCommitted) opts.whenCommitted(() => deliver(event));
      else deliver(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    listenerCount: () => listeners.size,
  };
}
