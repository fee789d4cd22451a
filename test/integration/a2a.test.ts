// The A2A 1.0 endpoint, spoken to by the official SDK's client (@a2a-js/sdk/client, JSON-RPC
// transport) on the real server over loopback, against fake gateways.
import { Role, TaskState, type Message as A2aMessage, type SendMessageRequest, type StreamResponse, type Task } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import type { Client } from "@a2a-js/sdk/client";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-a2a-7f3c";

function withKey(key: string | null): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    if (key) headers.set("Authorization", `Bearer ${key}`);
    return fetch(input, { ...init, headers });
  };
}

async function a2aClient(url: string, key: string | null): Promise<Client> {
  const fetchImpl = withKey(key);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) }),
  );
  return factory.createFromUrl(url);
}

function userMessage(text: string, metadata: Record<string, unknown> | undefined, contextId = ""): A2aMessage {
  return {
    messageId: crypto.randomUUID(),
    contextId,
    taskId: "",
    role: Role.ROLE_USER,
    parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }],
    metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

function request(text: string, metadata?: Record<string, unknown>, opts: { returnImmediately?: boolean; contextId?: string } = {}): SendMessageRequest {
  return {
    tenant: "",
    message: userMessage(text, metadata, opts.contextId),
    configuration: { acceptedOutputModes: ["text/plain"], taskPushNotificationConfig: undefined, returnImmediately: opts.returnImmediately ?? false },
    metadata: undefined,
  };
}

const asTask = (r: unknown): Task => {
  expect(r).toHaveProperty("status");
  return r as Task;
};
const text = (t: Task) => t.artifacts.flatMap((a) => a.parts.map((p) => (p.content?.$case === "text" ? p.content.value : ""))).join("");

describe("A2A 1.0 endpoint", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let slow: FakeGateway;
  let streaming: FakeGateway;

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    slow = await startFakeGateway({ token: TOKEN, replyDelayMs: 60_000 });
    streaming = await startFakeGateway({ token: TOKEN, replyDelayMs: 600, reply: (m) => `streamed answer to ${m}` });
    srv = await startTestServer();
    await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "carol", name: "Carol Slow", gatewayUrl: slow.url, token: TOKEN });
    await srv.addTeammate({ handle: "dave", name: "Dave Streamer", gatewayUrl: streaming.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await Promise.all([gw.stop(), slow.stop(), streaming.stop()]);
  });

  const audit = async () => {
    const r = await srv.api("GET", "/api/v1/audit?kind=a2a&limit=200", undefined, { key: await srv.adminKey() });
    expect(r.status).toBe(200);
    return r.body.items as { actor: string; outcome: string; errorCode: string | null; details: { method: string; target?: string } }[];
  };
  const keyLabel = async (key: string) => `key:${(await srv.api("GET", "/api/v1/auth/me", undefined, { key })).body.name}`;

  it("serves one Agent Card: public without a key (no teammate named), each teammate's agent a skill with one", async () => {
    const pub = await srv.api("GET", "/.well-known/agent-card.json");
    expect(pub.status).toBe(200);
    expect(pub.body.supportedInterfaces[0]).toMatchObject({ url: `${srv.url}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" });
    expect(pub.body.capabilities).toMatchObject({ streaming: true, extendedAgentCard: true });
    expect(pub.body.skills ?? []).toEqual([]);

    const client = await a2aClient(srv.url, await srv.keyFor("requester"));
    const card = await client.getAgentCard();
    expect(card.name).toBe("Team Mesh");
    expect(card.skills.map((s) => s.id)).toEqual(["bob", "carol", "dave", "team-mesh:broadcast"]);
    expect(card.skills.find((s) => s.id === "bob")!.name).toBe("Bob Builder");
    expect(card.securitySchemes.apiKey?.scheme?.$case).toBe("httpAuthSecurityScheme");
  });

  it("SendMessage to a named teammate returns a completed task with the reply; GetTask and ListTasks find it", async () => {
    const key = await srv.keyFor("operator");
    const client = await a2aClient(srv.url, key);
    const task = asTask(await client.sendMessage(request("hello over a2a", { teammate: "bob" }, { contextId: "a2a-ctx-1" })));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(text(task)).toBe("re: hello over a2a");
    expect(task.contextId).toBe("a2a-ctx-1");
    expect(task.metadata).toMatchObject({ teammate: "bob", teamMeshStatus: "replied" });
    expect(gw.received).toContain("hello over a2a");

    // the task is the Team Mesh message
    const m = await srv.api("GET", `/api/v1/messages/${task.id}`, undefined, { key });
    expect(m.body).toMatchObject({ id: task.id, status: "replied", session: "a2a-ctx-1" });

    // the skill id names the teammate too
    const bySkill = asTask(await client.sendMessage(request("via skill", { skill: "bob" })));
    expect(text(bySkill)).toBe("re: via skill");
    expect(bySkill.contextId).toBe("main");

    const got = await client.getTask({ tenant: "", id: task.id, historyLength: 10 });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(got.history.map((h) => h.role)).toEqual([Role.ROLE_USER, Role.ROLE_AGENT]);

    const list = await client.listTasks({ tenant: "", contextId: "a2a-ctx-1", status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 10, pageToken: "", statusTimestampAfter: undefined });
    expect(list.tasks.map((t) => t.id)).toEqual([task.id]);
    const all = await client.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_COMPLETED, pageSize: 1, pageToken: "", statusTimestampAfter: undefined });
    expect(all.tasks).toHaveLength(1);
    expect(all.nextPageToken).toBe("1");

    const label = await keyLabel(key);
    const entries = (await audit()).filter((e) => e.actor === label);
    expect(entries.map((e) => e.details.method)).toEqual(expect.arrayContaining(["SendMessage", "GetTask", "ListTasks"]));
    expect(entries.find((e) => e.details.method === "GetTask")!.details.target).toBe(task.id);
    // the send itself is in the trail as the key, as for the REST API
    const sends = await srv.api("GET", `/api/v1/audit?kind=send&messageId=${task.id}`, undefined, { key: await srv.adminKey() });
    expect(sends.body.items[0].actor).toBe(await keyLabel(key));
  });

  it("CancelTask aborts a slow run for real: the gateway sees chat.abort", async () => {
    const key = await srv.keyFor("requester");
    const client = await a2aClient(srv.url, key);
    const task = asTask(await client.sendMessage(request("take your time", { teammate: "carol" }, { returnImmediately: true })));
    expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(task.status?.state);
    await until(() => slow.sentKeys, (keys) => keys.includes(`${task.id}-1`));
    const cancelled = await client.cancelTask({ tenant: "", id: task.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(cancelled.metadata?.teamMeshStatus).toBe("cancelled_after_send");
    await until(() => slow.aborts, (a) => a.some((x) => x.runId === `${task.id}-1`));
    // an ended task is not cancelable
    await expect(client.cancelTask({ tenant: "", id: task.id, metadata: undefined })).rejects.toThrow(/already ended/);
    const entries = (await audit()).filter((e) => e.details.method === "CancelTask" && e.details.target === task.id);
    expect(entries.map((e) => e.outcome).sort()).toEqual(["failed", "ok"]);
  });

  it("SendStreamingMessage yields the task, the reply's deltas, then the final state", async () => {
    const client = await a2aClient(srv.url, await srv.keyFor("operator"));
    const events: StreamResponse[] = [];
    for await (const e of client.sendMessageStream(request("tell me", { teammate: "dave" }))) events.push(e);
    const kinds = events.map((e) => e.payload?.$case);
    expect(kinds[0]).toBe("task");
    const deltas = events.filter((e) => e.payload?.$case === "artifactUpdate" && !e.payload.value.lastChunk);
    expect(deltas.length).toBeGreaterThan(0);
    const firstDelta = deltas[0]!.payload as { value: { artifact: { parts: { content: { value: string } }[] } } };
    expect("streamed answer to tell me").toContain(firstDelta.value.artifact.parts[0]!.content.value);
    const last = events.at(-1)!.payload!;
    expect(last.$case).toBe("statusUpdate");
    if (last.$case !== "statusUpdate") throw new Error("unreachable");
    expect(last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const full = events.find((e) => e.payload?.$case === "artifactUpdate" && e.payload.value.lastChunk)!.payload as { value: { artifact: { parts: { content: { value: string } }[] } } };
    expect(full.value.artifact.parts[0]!.content.value).toBe("streamed answer to tell me");
    // deltas come before the end
    expect(kinds.indexOf("artifactUpdate")).toBeLessThan(kinds.length - 1);
    expect((await audit()).some((e) => e.details.method === "SendStreamingMessage" && e.outcome === "ok")).toBe(true);
  });

  it("a streaming client that goes away stops its stream, not the run; CancelTask still aborts it", async () => {
    const client = await a2aClient(srv.url, await srv.keyFor("operator"));
    const ac = new AbortController();
    let id = "";
    for await (const e of client.sendMessageStream(request("stream then leave", { teammate: "carol" }), { signal: ac.signal })) {
      if (e.payload?.$case === "task") id = e.payload.value.id;
      break;
    }
    ac.abort();
    expect(id).not.toBe("");
    await until(() => slow.sentKeys, (keys) => keys.includes(`${id}-1`));
    const running = await client.getTask({ tenant: "", id });
    expect(running.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const cancelled = await client.cancelTask({ tenant: "", id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it("a broadcast through A2A lands awaiting a person's confirmation (never confirmed by A2A)", async () => {
    const key = await srv.keyFor("requester");
    const client = await a2aClient(srv.url, key);
    const sentBefore = gw.received.length;
    const task = asTask(await client.sendMessage(request("team, please report", { broadcast: true })));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_AUTH_REQUIRED);
    expect(task.metadata).toMatchObject({ kind: "broadcast", broadcastState: "awaiting_confirmation" });
    expect(JSON.stringify(task)).not.toMatch(/confirmationToken"\s*:\s*"/);
    const b = await srv.api("GET", `/api/v1/broadcasts/${task.id}`, undefined, { key: await srv.adminKey() });
    expect(b.body.state).toBe("awaiting_confirmation");
    expect(gw.received.length).toBe(sentBefore);
    const got = await client.getTask({ tenant: "", id: task.id });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_AUTH_REQUIRED);
  });

  it("refuses without a valid API key (401)", async () => {
    const body = { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } };
    expect((await srv.api("POST", "/a2a", body)).status).toBe(401);
    const bad = await srv.api("POST", "/a2a", body, { key: "tm_not_a_real_key" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toMatch(/Bearer/);
    const client = await a2aClient(srv.url, null);
    await expect(client.getTask({ tenant: "", id: "x" })).rejects.toThrow();
    // a session cookie is not enough
    expect((await srv.api("POST", "/a2a", body, { cookie: await srv.login() })).status).toBe(401);
  });

  it("enforces roles: an auditor reads tasks but cannot send, and the refusal is audited", async () => {
    const key = await srv.keyFor("auditor");
    const client = await a2aClient(srv.url, key);
    await expect(client.sendMessage(request("sneaky", { teammate: "bob" }))).rejects.toThrow(/FORBIDDEN/);
    await expect(client.sendMessage(request("sneaky all", { broadcast: true }))).rejects.toThrow(/FORBIDDEN/);
    expect(gw.received).not.toContain("sneaky");
    const list = await client.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 5, pageToken: "", statusTimestampAfter: undefined });
    expect(list.tasks.length).toBeGreaterThan(0);
    await expect(client.cancelTask({ tenant: "", id: list.tasks[0]!.id, metadata: undefined })).rejects.toThrow(/FORBIDDEN/);
    const label = await keyLabel(key);
    const mine = (await audit()).filter((e) => e.actor === label);
    expect(mine.some((e) => e.details.method === "SendMessage" && e.errorCode === "FORBIDDEN")).toBe(true);
  });

  it("answers bad JSON-RPC input with a JSON-RPC error, never a 500", async () => {
    const key = await srv.keyFor("operator");
    const post = (body: unknown) => srv.api("POST", "/a2a", body, { key });
    const cases: [unknown, number][] = [
      ["{not json", -32700],
      [{ jsonrpc: "1.0", id: 1, method: "GetTask", params: {} }, -32600],
      [[1, 2], -32600],
      [{ jsonrpc: "2.0", id: 1.5, method: "GetTask", params: {} }, -32600],
      [{ jsonrpc: "2.0", id: 2, method: "NoSuchMethod", params: {} }, -32601],
      [{ jsonrpc: "2.0", id: 3, method: "GetTask", params: [1, 2] }, -32602],
      [{ jsonrpc: "2.0", id: 4, method: "GetTask", params: { id: "no-such-task" } }, -32001],
      [{ jsonrpc: "2.0", id: 5, method: "SendMessage", params: { message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "hi" }] } } }, -32602],
      [{ jsonrpc: "2.0", id: 6, method: "SendMessage", params: { message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "hi" }], metadata: { teammate: "nobody-here" } } } }, -32602],
      [{ jsonrpc: "2.0", id: 7, method: "SendMessage", params: { message: { messageId: "m", role: "ROLE_USER", parts: [], metadata: { teammate: "bob" } } } }, -32602],
      [{ jsonrpc: "2.0", id: 8, method: "SendMessage", params: { message: "just a string" } }, -32602],
      [{ jsonrpc: "2.0", id: 9, method: "ListTasks", params: { pageSize: 1000 } }, -32602],
      [{ jsonrpc: "2.0", id: 12, method: "SendStreamingMessage", params: { message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "hi" }], metadata: { teammate: "nobody-here" } } } }, -32602],
      [{ jsonrpc: "2.0", id: 13, method: "SendMessage", params: { message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "hi" }], metadata: { teammate: "bob", timeoutSec: 0 } } } }, -32602],
      [{ jsonrpc: "2.0", id: 10, method: "CreateTaskPushNotificationConfig", params: { taskId: "x" } }, -32003],
    ];
    for (const [body, code] of cases) {
      const r = await post(typeof body === "string" ? body : body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.body.jsonrpc).toBe("2.0");
      expect(r.body.error?.code, JSON.stringify({ body, got: r.body })).toBe(code);
    }
    // a wrong A2A-Version is refused as such
    const v = await srv.api("POST", "/a2a", { jsonrpc: "2.0", id: 11, method: "GetTask", params: { id: "x" } }, { key, headers: { "A2A-Version": "9.9" } });
    expect(v.body.error.code).toBe(-32009);
    expect((await srv.api("GET", "/a2a", undefined, { key })).status).toBe(405);
    const failed = (await audit()).filter((e) => e.outcome === "failed");
    expect(failed.map((e) => e.details.method)).toEqual(expect.arrayContaining(["(invalid)", "NoSuchMethod", "GetTask", "SendMessage", "ListTasks"]));
  });
});
