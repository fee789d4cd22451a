import type { MeshEvent } from "../../shared/api/events.ts";

/** In-process publish/subscribe; the WebSocket endpoint forwards it to browsers. */
export interface EventBus {
  publish(event: MeshEvent): void;
  subscribe(listener: (event: MeshEvent) => void): () => void;
}
