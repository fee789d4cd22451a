// SendStreamingMessage: the task at once, then the reply as it streams in (the gateway's chat
// deltas, which the message service publishes as message.delta on the event bus) as updates of
// the artifact "reply", status updates as the delivery moves on, and a final status update when
// the message ends. A client that goes away only stops the stream: the run goes on (CancelTask
// aborts it).
import { TaskState, type StreamResponse } from "@a2a-js/sdk";
import type { MeshEvent } from "../../shared/api/events.ts";
import type { Message } from "../../shared/api/messages.ts";
import type { EventBus } from "../events/types.ts";
import { lastReply, messageTask, replyArtifact, stateOf, TERMINAL_STATES } from "./tasks.ts";

/** How often the stream looks at the message itself, in case an event was missed. */
const POLL_MS = 1_000;

export async function* streamMessage(
  bus: EventBus,
  start: () => Promise<string>,
  load: (id: string) => Message,
  /** Aborted when the client went away: the stream ends (the run goes on). */
  signal?: AbortSignal,
): AsyncGenerator<StreamResponse, void, undefined> {
  const queue: MeshEvent[] = [];
  let wake: (() => void) | null = null;
  const off = bus.subscribe((e) => {
    if (e.type !== "message.delta" && e.type !== "message.updated") return;
    queue.push(e);
    wake?.();
  });
  try {
    const id = await start(); // subscribed before the send: no delta is missed
    const first = messageTask(load(id));
    yield { payload: { $case: "task", value: first } };
    let state = first.status?.state ?? TaskState.TASK_STATE_SUBMITTED;
    let streamed = "";
    let final: Message | null = TERMINAL_STATES.has(state) ? load(id) : null;
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort, { once: true }); // the signal is the request's own
    while (!final) {
      if (signal?.aborted) return;
      if (queue.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, POLL_MS);
        });
        clearTimeout(timer);
        wake = null;
        if (queue.length === 0) {
          const m = load(id);
          if (TERMINAL_STATES.has(stateOf(m.status))) final = m;
          continue;
        }
      }
      const e = queue.shift() as MeshEvent;
      if (e.type === "message.delta" && e.id === id) {
        // the text so far: passed on as what it adds, or whole when it is not a continuation
        const append = streamed !== "" && e.text.startsWith(streamed);
        const chunk = append ? e.text.slice(streamed.length) : e.text;
        streamed = e.text;
        if (!chunk) continue;
        yield { payload: { $case: "artifactUpdate", value: { taskId: id, contextId: first.contextId, artifact: replyArtifact(chunk), append, lastChunk: false, metadata: { round: e.round } } } };
      } else if (e.type === "message.updated" && e.message.id === id) {
        const next = stateOf(e.message.status);
        if (TERMINAL_STATES.has(next)) final = e.message;
        else if (next !== state) {
          state = next;
          yield { payload: { $case: "statusUpdate", value: { taskId: id, contextId: first.contextId, status: { state, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined } } };
        }
      }
    }
    const task = messageTask(final);
    const reply = lastReply(final);
    if (reply !== null) {
      yield { payload: { $case: "artifactUpdate", value: { taskId: id, contextId: task.contextId, artifact: replyArtifact(reply), append: false, lastChunk: true, metadata: undefined } } };
    }
    yield { payload: { $case: "statusUpdate", value: { taskId: id, contextId: task.contextId, status: task.status, metadata: task.metadata } } };
  } finally {
    off();
  }
}
