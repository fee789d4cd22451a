// In-process publish/subscribe. A listener that throws is logged and never breaks a publisher.
import type { MeshEvent } from "../../shared/api/events.ts";
import type { Logger } from "../logger.ts";
import type { EventBus } from "./types.ts";

export function createEventBus(logger?: Logger): EventBus & { listenerCount(): number } {
  const listeners = new Set<(event: MeshEvent) => void>();
  return {
    publish(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (err) {
          logger?.warn({ err, type: event.type }, "event listener failed");
        }
      }
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
