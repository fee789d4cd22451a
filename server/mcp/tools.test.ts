// The tools over an in-memory transport with a stub backend: what each answer carries, what the
// audit record says, and that a confirmation token never reaches the agent.
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import type { Broadcast, Message } from "../../shared/api/index.ts";
import type { McpCallRecord } from "../../shared/api/mcp.ts";
import { ApiError } from "../errors.ts";
import { loadConfig } from "../config.ts";
import type { McpBackend } from "./backend.ts";
import { createMeshMcpServer } from "./tools.ts";

const at = "2026-01-01T00:00:00.000Z";
const ref = { handle: "bob", name: "Bob", displayName: null };
const actor = { kind: "api_key" as const, name: "agent", role: "requester" as const };

function message(over: Partial<Message> = {}): Message {
  return {
    id: "m1",
    to: ref,
    gatewayUrl: "ws://127.0.0.1:1",
    session: "main",
    rounds: 1,
    timeoutSec: 5,
    status: "replied",
    exchanges: [{ round: 1, message: "hi", messageBytes: 2, status: "replied", reply: "hello", replyFullBytes: null, runId: "r1", latencyMs: 3, error: null, auditId: 1 }],
    warnings: [],
    fallback: null,
    actor,
    createdAt: at,
    completedAt: at,
    ...over,
  } as Message;
}

function broadcast(): Broadcast {
  return {
    id: "b1",
    state: "awaiting_confirmation",
    message: "all",
    messageBytes: 3,
    sha256: "x",
    session: "main",
    timeoutSec: 60,
    recipients: [],
    skipped: [],
    counts: {},
    warnings: [],
    group: null,
    createdBy: actor,
    createdAt: at,
    expiresAt: at,
    confirmedBy: null,
    confirmedAt: null,
    completedAt: null,
    fallback: true,
    confirmationToken: "secret-token",
  };
}

function stub(over: Partial<McpBackend> = {}) {
  const records: McpCallRecord[] = [];
  const fail = () => Promise.reject(new ApiError("FORBIDDEN", "no"));
  const backend: McpBackend = {
    transport: "http",
    caller: async () => ({ kind: "api_key", name: "agent", role: "requester" }),
    whoami: async () => ({ me: null, source: null }),
    teammates: async () => [],
    ping: fail,
    send: async () => message(),
    getMessage: async () => message(),
    lateReply: fail,
    createBroadcast: async () => broadcast(),
    getBroadcast: async () => broadcast(),
    searchAudit: fail,
    dashboardUrl: (p) => `http://mesh.test${p}`,
    record: async (r) => void records.push(r),
    ...over,
  };
  return { backend, records };
}

async function connect(backend: McpBackend): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await createMeshMcpServer(backend).connect(a);
  const client = new Client({ name: "t", version: "1" });
  await client.connect(b);
  return client;
}

describe("MCP tools", () => {
  it("answer with structured content and text, and record each call", async () => {
    const { backend, records } = stub();
    const client = await connect(backend);
    const r = await client.callTool({ name: "send", arguments: { to: "bob", message: "hi" } });
    expect(r.structuredContent).toMatchObject({ replied: true, poll: null, message: { id: "m1" } });
    expect((r.content as { text: string }[])[0]!.text).toContain("hello");
    expect(records).toEqual([{ tool: "send", outcome: "ok", target: "m1" }]);
  });

  it("turn a refusal into a tool error with the code, recorded as failed", async () => {
    const { backend, records } = stub();
    const client = await connect(backend);
    const r = await client.callTool({ name: "search_audit", arguments: {} });
    expect(r.isError).toBe(true);
    expect((r.content as { text: string }[])[0]!.text).toBe("no [FORBIDDEN]");
    expect(records).toEqual([{ tool: "search_audit", outcome: "failed", errorCode: "FORBIDDEN" }]);
  });

  it("never hand a confirmation token to the agent", async () => {
    const client = await connect(stub().backend);
    for (const name of ["prepare_broadcast", "get_broadcast"]) {
      const r = await client.callTool({ name, arguments: name === "get_broadcast" ? { id: "b1" } : { message: "all" } });
      expect(JSON.stringify(r)).not.toContain("secret-token");
      expect(r.structuredContent).toMatchObject({ awaitingConfirmation: true, dashboardUrl: "http://mesh.test/broadcast/b1" });
    }
  });

  it("get_message asks for a late reply only when the caller may send", async () => {
    const timedOut = message({ status: "timeout", exchanges: [{ ...message().exchanges[0]!, status: "timeout", reply: null }] });
    const late = vi.fn(async () => message());
    const requester = await connect(stub({ getMessage: async () => timedOut, lateReply: late, caller: async () => ({ kind: "api_key", name: "a", role: "requester" }) }).backend);
    expect((await requester.callTool({ name: "get_message", arguments: { id: "m1" } })).structuredContent).toMatchObject({ replied: true });
    expect(late).toHaveBeenCalledTimes(1);
    const auditor = await connect(stub({ getMessage: async () => timedOut, lateReply: late, caller: async () => ({ kind: "api_key", name: "a", role: "auditor" }) }).backend);
    const r = await auditor.callTool({ name: "get_message", arguments: { id: "m1" } });
    expect(r.structuredContent).toMatchObject({ replied: false, poll: expect.stringContaining("m1") });
    expect(late).toHaveBeenCalledTimes(1);
  });
});

describe("MESH_MCP_ALLOWED_HOSTS", () => {
  it("defaults to localhost-class names plus the bind address; a list replaces them", () => {
    expect(loadConfig({}).mcpAllowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    expect(loadConfig({ MESH_HOST: "0.0.0.0" }).mcpAllowedHosts).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    expect(loadConfig({ MESH_HOST: "10.0.0.5" }).mcpAllowedHosts).toContain("10.0.0.5");
    expect(loadConfig({ MESH_MCP_ALLOWED_HOSTS: "mesh.example.com, Other.example" }).mcpAllowedHosts).toEqual(["mesh.example.com", "other.example"]);
  });
});
