// Team Mesh messages (and broadcasts) as A2A tasks: a task's id is the message's id, its
// contextId the message's session; the state follows the delivery status, the reply is the
// task's artifact "reply" and its status message.
import { Role, TaskState, type Artifact, type Message as A2aMessage, type Part, type Task } from "@a2a-js/sdk";
import type { Broadcast } from "../../shared/api/broadcasts.ts";
import type { DeliveryStatus, Message } from "../../shared/api/messages.ts";

export const REPLY_ARTIFACT_ID = "reply";

export const textPart = (text: string): Part => ({ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" });

export function agentMessage(taskId: string, contextId: string, text: string, messageId = `${taskId}-status`): A2aMessage {
  return { messageId, contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
}

export function stateOf(status: DeliveryStatus): TaskState {
  switch (status) {
    case "queued":
      return TaskState.TASK_STATE_SUBMITTED;
    case "sending":
      return TaskState.TASK_STATE_WORKING;
    case "replied":
    case "delivered_no_reply":
      return TaskState.TASK_STATE_COMPLETED;
    case "cancelled":
    case "cancelled_after_send":
      return TaskState.TASK_STATE_CANCELED;
    default:
      return TaskState.TASK_STATE_FAILED; // timeout, unreachable, auth_failed, pairing_required, error, interrupted
  }
}

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
]);

/** The last reply of the message (its last round that has one). */
export const lastReply = (m: Message): string | null => [...m.exchanges].reverse().find((e) => e.reply !== null)?.reply ?? null;

function statusText(m: Message): string {
  const reply = lastReply(m);
  if (reply !== null) return reply;
  const err = [...m.exchanges].reverse().find((e) => e.error)?.error;
  return err ? `${m.status}: ${err.message} [${err.code}]` : `${m.to.handle}: ${m.status}`;
}

export function replyArtifact(text: string): Artifact {
  return { artifactId: REPLY_ARTIFACT_ID, name: "reply", description: "The teammate's reply", parts: [textPart(text)], metadata: undefined, extensions: [] };
}

export function messageTask(m: Message, historyLength?: number): Task {
  const reply = lastReply(m);
  const first = m.exchanges[0];
  const history: A2aMessage[] = [];
  if (first) history.push({ ...agentMessage(m.id, m.session, first.message, `${m.id}-request`), role: Role.ROLE_USER });
  if (reply !== null) history.push(agentMessage(m.id, m.session, reply, `${m.id}-reply`));
  const state = stateOf(m.status);
  return {
    id: m.id,
    contextId: m.session,
    status: {
      state,
      message: TERMINAL_STATES.has(state) ? agentMessage(m.id, m.session, statusText(m)) : undefined,
      timestamp: m.completedAt ?? m.createdAt,
    },
    artifacts: reply !== null ? [replyArtifact(reply)] : [],
    history: historyLength === undefined ? history : historyLength <= 0 ? [] : history.slice(-historyLength),
    metadata: { kind: "message", teammate: m.to.handle, teamMeshStatus: m.status, rounds: m.rounds },
  };
}

function broadcastState(b: Broadcast): TaskState {
  switch (b.state) {
    case "awaiting_confirmation":
      return TaskState.TASK_STATE_AUTH_REQUIRED; // a person confirms in the dashboard, never A2A
    case "sending":
      return TaskState.TASK_STATE_WORKING;
    case "completed":
      return TaskState.TASK_STATE_COMPLETED;
    case "cancelled":
      return TaskState.TASK_STATE_CANCELED;
    default:
      return TaskState.TASK_STATE_REJECTED; // expired unconfirmed
  }
}

export function broadcastTask(b: Broadcast, dashboardUrl: string): Task {
  const to = b.recipients.map((r) => r.handle).join(", ") || "nobody";
  const text =
    b.state === "awaiting_confirmation"
      ? `Broadcast ${b.id} to ${to} awaits confirmation: nothing was sent. A person with the operator or admin role must confirm it in the dashboard before ${b.expiresAt}: ${dashboardUrl}`
      : `Broadcast ${b.id} to ${to}: ${b.state}. ${dashboardUrl}`;
  const replies = b.recipients.filter((r) => r.reply !== null).map((r) => `${r.handle}: ${r.reply}`);
  return {
    id: b.id,
    contextId: b.session,
    status: { state: broadcastState(b), message: agentMessage(b.id, b.session, text), timestamp: b.createdAt },
    artifacts: replies.length ? [replyArtifact(replies.join("\n\n"))] : [],
    history: [],
    metadata: { kind: "broadcast", broadcastState: b.state, recipients: b.recipients.map((r) => ({ handle: r.handle, status: r.status })), dashboardUrl },
  };
}
