// The A2A methods on Team Mesh's services, as one caller (the API key of the request): the SDK's
// JSON-RPC transport (JsonRpcTransportHandler) parses and answers the JSON-RPC, this is the
// A2ARequestHandler it calls. Permissions as for the REST routes (shared/permissions.ts):
// SendMessage and SendStreamingMessage need send (a broadcast: broadcast:create), GetTask and
// ListTasks audit:read or send, CancelTask send. A broadcast is only created, awaiting a
// person's confirmation in the dashboard; A2A never confirms one.
import type {
  AgentCard,
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  ListTasksResponse,
  Message as A2aMessage,
  SendMessageRequest,
  StreamResponse,
  Task,
  TaskPushNotificationConfig,
} from "@a2a-js/sdk";
import { PushNotificationNotSupportedError, TaskNotCancelableError, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import type { A2ARequestHandler } from "@a2a-js/sdk/server";
import { Broadcast, Message } from "../../shared/api/index.ts";
import type { Permission, Principal } from "../auth/types.ts";
import { can, rolesWith } from "../auth/permissions.ts";
import { ApiError } from "../errors.ts";
import type { Services } from "../services.ts";
import { agentCard } from "./card.ts";
import { invalidParams, toRpcError } from "./errors.ts";
import { streamMessage } from "./stream.ts";
import { sendTargetOf, type SendTarget } from "./target.ts";
import { broadcastTask, messageTask, stateOf, TERMINAL_STATES } from "./tasks.ts";

/** Key of the call context's state: the signal aborted when the streaming client went away. */
export const STREAM_SIGNAL = "team-mesh.streamSignal";

const LIST_WINDOW = 500;
const PAGE_SIZE_DEFAULT = 50;
const PAGE_SIZE_MAX = 100;

/** What one call was about, for its audit entry (a teammate, a task id; never a message text). */
export interface CallNote {
  target?: string;
}

export interface HandlerOptions {
  principal: Principal;
  origin: string;
  version: string;
  note: CallNote;
}

function need(principal: Principal, ...anyOf: Permission[]): void {
  if (anyOf.some((p) => can(principal.role, p))) return;
  const roles = [...new Set(anyOf.flatMap((p) => rolesWith(p)))].join(", ");
  throw new ApiError("FORBIDDEN", `This needs the permission ${anyOf.join(" or ")} (roles ${roles}), which role ${principal.role} does not have`);
}

/** Runs a service call with Team Mesh's errors turned into JSON-RPC ones. */
async function rpc<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toRpcError(err);
  }
}

const notFound = (err: unknown) => err instanceof ApiError && (err.code === "MESSAGE_NOT_FOUND" || err.code === "BROADCAST_NOT_FOUND");

export function meshRequestHandler(services: Services, opts: HandlerOptions): A2ARequestHandler {
  const { principal, note } = opts;
  const dashboardUrl = (id: string) => `${opts.origin}/broadcast/${encodeURIComponent(id)}`;
  const broadcastTaskOf = (b: Broadcast) => broadcastTask({ ...Broadcast.parse(b), confirmationToken: null }, dashboardUrl(b.id));

  function startSend(t: SendTarget, wait: boolean) {
    need(principal, "send");
    note.target = t.to.slice(0, 200);
    const req = { to: t.to, message: t.text, session: t.session, rounds: 1, timeoutSec: t.timeoutSec, dryRun: false, wait, fallback: true, allowSecrets: false };
    return services.messages.send(req, principal);
  }

  async function createBroadcast(t: SendTarget): Promise<Task> {
    need(principal, "broadcast:create");
    const result = await services.broadcasts.create({ message: t.text, session: t.session, timeoutSec: t.timeoutSec, dryRun: false, fallback: true, allowSecrets: false }, principal);
    if (result.kind !== "created") throw new ApiError("INTERNAL", "The broadcast was not created");
    note.target = result.broadcast.id;
    return broadcastTaskOf(result.broadcast);
  }

  /** A task by id: a message, else a broadcast. */
  function loadTask(id: string, historyLength?: number): Task {
    try {
      const m = Message.parse(services.messages.get(id));
      return messageTask(m, historyLength);
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    need(principal, "audit:read", "broadcast:create");
    return broadcastTaskOf(services.broadcasts.get(id, principal));
  }

  const unsupported = async (): Promise<never> => {
    throw new PushNotificationNotSupportedError("Team Mesh sends no push notifications: poll GetTask or use SendStreamingMessage");
  };

  return {
    getAgentCard: async () => agentCard(opts.origin, opts.version, null),
    getAuthenticatedExtendedAgentCard: (_params, _ctx): Promise<AgentCard> =>
      rpc(() => {
        need(principal, "teammates:read");
        return agentCard(opts.origin, opts.version, services.registry);
      }),

    sendMessage: (params: SendMessageRequest): Promise<A2aMessage | Task> =>
      rpc(async () => {
        const t = sendTargetOf(params);
        if (t.kind === "broadcast") return createBroadcast(t);
        const result = await startSend(t, !t.returnImmediately);
        if (result.kind === "message") {
          note.target = result.message.id;
          return messageTask(Message.parse(result.message), params.configuration?.historyLength);
        }
        if (result.kind === "accepted") {
          note.target = result.accepted.id;
          return messageTask(Message.parse(services.messages.get(result.accepted.id)));
        }
        throw new ApiError("INTERNAL", "The send answered with a preview");
      }),

    async *sendMessageStream(params: SendMessageRequest, context): AsyncGenerator<StreamResponse, void, undefined> {
      let t: SendTarget;
      try {
        t = sendTargetOf(params);
        if (t.kind === "broadcast") {
          // nothing streams before a person confirms: the task, awaiting confirmation, and done
          yield { payload: { $case: "task", value: await createBroadcast(t) } };
          return;
        }
        need(principal, "send");
      } catch (err) {
        throw toRpcError(err);
      }
      const target = t;
      const start = async () => {
        const result = await startSend(target, false);
        if (result.kind !== "accepted") throw new ApiError("INTERNAL", "The send did not start in the background");
        note.target = result.accepted.id;
        return result.accepted.id;
      };
      try {
        const signal = context.state.get(STREAM_SIGNAL) as AbortSignal | undefined;
        yield* streamMessage(services.bus, start, (id) => Message.parse(services.messages.get(id)), signal);
      } catch (err) {
        throw toRpcError(err);
      }
    },

    getTask: (params: GetTaskRequest): Promise<Task> =>
      rpc(() => {
        need(principal, "audit:read", "send");
        if (!params.id) throw invalidParams("GetTask needs the task id");
        note.target = params.id.slice(0, 200);
        return loadTask(params.id, params.historyLength);
      }),

    listTasks: (params: ListTasksRequest): Promise<ListTasksResponse> =>
      rpc(() => {
        need(principal, "audit:read", "send");
        const pageSize = params.pageSize ?? PAGE_SIZE_DEFAULT;
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > PAGE_SIZE_MAX) throw invalidParams(`pageSize must be 1-${PAGE_SIZE_MAX}`);
        const offset = params.pageToken ? Number(params.pageToken) : 0;
        if (!Number.isInteger(offset) || offset < 0) throw invalidParams("pageToken is not one this server gave");
        const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : null;
        const tasks = services.messages
          .list(LIST_WINDOW)
          .map((m) => Message.parse(m))
          .filter((m) => !params.contextId || m.session === params.contextId)
          .filter((m) => !params.status || stateOf(m.status) === params.status)
          .filter((m) => after === null || Date.parse(m.completedAt ?? m.createdAt) > after)
          .map((m) => messageTask(m, params.historyLength ?? 0));
        const page = tasks.slice(offset, offset + pageSize);
        const next = offset + pageSize < tasks.length ? String(offset + pageSize) : "";
        return { tasks: page, nextPageToken: next, pageSize, totalSize: tasks.length };
      }),

    cancelTask: (params: CancelTaskRequest): Promise<Task> =>
      rpc(async () => {
        need(principal, "send");
        if (!params.id) throw invalidParams("CancelTask needs the task id");
        note.target = params.id.slice(0, 200);
        let before: Message;
        try {
          before = Message.parse(services.messages.get(params.id));
        } catch (err) {
          if (!notFound(err)) throw err;
          need(principal, "broadcast:create");
          return broadcastTaskOf(await services.broadcasts.cancel(params.id, principal));
        }
        const state = stateOf(before.status);
        if (TERMINAL_STATES.has(state)) {
          throw new TaskNotCancelableError(`Task ${params.id} already ended (${before.status})`);
        }
        // aborts the run: on the gateway too once chat.send was written (messaging/send.ts)
        return messageTask(Message.parse(await services.messages.cancel(params.id, principal)));
      }),

    createTaskPushNotificationConfig: (): Promise<TaskPushNotificationConfig> => unsupported(),
    getTaskPushNotificationConfig: (): Promise<TaskPushNotificationConfig> => unsupported(),
    listTaskPushNotificationConfigs: () => unsupported(),
    deleteTaskPushNotificationConfig: () => unsupported(),
    // eslint-disable-next-line require-yield
    async *resubscribe(): AsyncGenerator<StreamResponse, void, undefined> {
      throw new UnsupportedOperationError("SubscribeToTask is not served: follow a task with GetTask, or send with SendStreamingMessage");
    },
  };
}
