// The MCP server, spoken to by the SDK's own client: Streamable HTTP at /mcp on the real server
// (loopback) and stdio through the real `team-mesh mcp` child process, against fake gateways.
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-mcp-5d1e";
const TOOLS = ["get_broadcast", "get_message", "list_teammates", "ping", "prepare_broadcast", "search_audit", "send", "whoami"];

type Structured = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("MCP server", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    srv = await startTestServer();
    await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "carol", name: "Carol Slow", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await srv.stop();
    await gw.stop();
  });

  // the current revision, pinned (the SDK client's default is still the 2025 handshake)
  const MODERN = { versionNegotiation: { mode: { pin: "2026-07-28" } } } as const;

  async function httpClient(key: string, opts: { legacy?: boolean } = {}): Promise<Client> {
    const client = new Client({ name: "mcp-test", version: "1.0.0" }, opts.legacy ? {} : MODERN);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    clients.push(client);
    return client;
  }

  // One child process per key (starting the CLI takes a while on a busy machine).
  const stdioClients = new Map<string, Promise<Client>>();
  function stdioClient(key: string, opts: { legacy?: boolean } = {}): Promise<Client> {
    if (opts.legacy) return newStdioClient(key, opts);
    let c = stdioClients.get(key);
    if (!c) stdioClients.set(key, (c = newStdioClient(key, opts)));
    return c;
  }

  async function newStdioClient(key: string, opts: { legacy?: boolean } = {}): Promise<Client> {
    const client = new Client({ name: "mcp-test-stdio", version: "1.0.0" }, opts.legacy ? {} : MODERN);
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", MESH_URL: srv.url, MESH_API_KEY: key };
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(REPO_ROOT, "bin/team-mesh.mjs"), "mcp"], env, stderr: "pipe" }));
    clients.push(client);
    return client;
  }

  const auditOf = async (actorKey: string) => {
    const admin = await srv.adminKey();
    const r = await srv.api("GET", `/api/v1/audit?kind=mcp&limit=200`, undefined, { key: admin });
    expect(r.status).toBe(200);
    return (r.body.items as { actor: string; outcome: string; errorCode: string | null; details: { tool: string; transport: string; target?: string } }[]).filter((e) => e.actor === actorKey);
  };
  const keyName = async (client: Client) => ((await client.callTool({ name: "whoami", arguments: {} })).structuredContent as Structured).caller.name as string;

  describe.each([
    ["http", httpClient],
    ["stdio", stdioClient],
  ] as const)("over %s", (transport, connect) => {
    it("lists the tools with JSON schemas; prepare_broadcast is marked destructive", async () => {
      const client = await connect(await srv.keyFor("operator"));
      // the SDK client and server agree on the current revision
      expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
      expect(client.getServerVersion()?.name).toBe("team-mesh");
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const send = tools.find((t) => t.name === "send")!;
      expect(send.inputSchema.required).toEqual(expect.arrayContaining(["to", "message"]));
      expect(send.outputSchema).toBeDefined();
      expect(tools.find((t) => t.name === "prepare_broadcast")!.annotations?.destructiveHint).toBe(true);
      expect(tools.find((t) => t.name === "list_teammates")!.annotations?.readOnlyHint).toBe(true);
    });

    it("serves a 2025-era client (the SDK client's default handshake) too", async () => {
      const client = await connect(await srv.keyFor("operator"), { legacy: true });
      expect(client.getNegotiatedProtocolVersion()).toBe("2025-11-25");
      const r = await client.callTool({ name: "whoami", arguments: {} });
      expect((r.structuredContent as Structured).caller.role).toBe("operator");
    });

    it("whoami, list_teammates, ping and send answer with structured content and text, each call audited with the key's name", async () => {
      const key = await srv.keyFor("operator");
      const client = await connect(key);
      const name = await keyName(client);
      const list = await client.callTool({ name: "list_teammates", arguments: {} });
      expect((list.structuredContent as Structured).items.map((t: { handle: string }) => t.handle)).toEqual(["bob", "carol"]);
      expect((list.content as { type: string; text: string }[])[0]!.text).toContain("bob (Bob Builder)");
      const ping = await client.callTool({ name: "ping", arguments: { to: "bob" } });
      expect((ping.structuredContent as Structured).teammates[0].status.state).toBe("online");
      const sent = await client.callTool({ name: "send", arguments: { to: "bob", message: `hello over ${transport}` } });
      expect(sent.isError).toBeFalsy();
      const s = sent.structuredContent as Structured;
      expect(s).toMatchObject({ replied: true, poll: null, message: { status: "replied", to: { handle: "bob" } } });
      expect(s.message.exchanges[0].reply).toBe(`re: hello over ${transport}`);
      expect((sent.content as { text: string }[])[0]!.text).toContain(`re: hello over ${transport}`);
      const got = await client.callTool({ name: "get_message", arguments: { id: s.message.id } });
      expect((got.structuredContent as Structured).message.id).toBe(s.message.id);

      const entries = await auditOf(`key:${name}`);
      const calls = entries.filter((e) => e.details.transport === transport).map((e) => e.details.tool);
      expect(calls).toEqual(expect.arrayContaining(["whoami", "list_teammates", "ping", "send", "get_message"]));
      expect(entries.every((e) => e.outcome === "ok")).toBe(true);
      // the send itself is in the trail as the key, as for the REST API
      const admin = await srv.adminKey();
      const sends = await srv.api("GET", `/api/v1/audit?kind=send&messageId=${s.message.id}`, undefined, { key: admin });
      expect(sends.body.items[0].actor).toBe(`key:${name}`);
    });

    it("send without a reply in time answers with the id to poll; get_message fetches the late reply", async () => {
      const client = await connect(await srv.keyFor("operator"));
      const sent = await client.callTool({ name: "send", arguments: { to: "carol", message: "slow one [[delay:2500]]", timeoutSec: 1 } });
      const s = sent.structuredContent as Structured;
      expect(s.replied).toBe(false);
      expect(s.message.status).toBe("timeout");
      expect(s.poll).toContain(s.message.id);
      await new Promise((r) => setTimeout(r, 2500));
      const got = await client.callTool({ name: "get_message", arguments: { id: s.message.id } });
      const g = got.structuredContent as Structured;
      expect(g.message.exchanges[0].reply).toBe("re: slow one");
      expect(g.replied).toBe(true);
    });

    it("prepare_broadcast prepares, never confirms: no token for the agent, a dashboard link, and a requester key cannot confirm", async () => {
      const key = await srv.keyFor("requester");
      const client = await connect(key);
      const r = await client.callTool({ name: "prepare_broadcast", arguments: { message: `to all over ${transport}` } });
      expect(r.isError).toBeFalsy();
      const b = r.structuredContent as Structured;
      expect(b.awaitingConfirmation).toBe(true);
      expect(b.broadcast.state).toBe("awaiting_confirmation");
      expect(b.broadcast.confirmationToken).toBeNull();
      expect(b.broadcast.recipients.map((x: { handle: string }) => x.handle).sort()).toEqual(["bob", "carol"]);
      expect(b.dashboardUrl).toBe(`${srv.url}/broadcast/${b.broadcast.id}`);
      expect((r.content as { text: string }[])[0]!.text).toMatch(/Nothing was sent/);
      // the same key cannot confirm over REST either
      const confirm = await srv.api("POST", `/api/v1/broadcasts/${b.broadcast.id}/confirm`, { token: "x" }, { key });
      expect(confirm.status).toBe(403);
      const again = await client.callTool({ name: "get_broadcast", arguments: { id: b.broadcast.id } });
      expect((again.structuredContent as Structured).broadcast.state).toBe("awaiting_confirmation");
      expect(gw.received).not.toContain(`to all over ${transport}`);
    });

    it("an operator key's prepared broadcast carries no token either", async () => {
      const client = await connect(await srv.keyFor("operator"));
      const r = await client.callTool({ name: "prepare_broadcast", arguments: { message: "operator prepares" } });
      expect((r.structuredContent as Structured).broadcast.confirmationToken).toBeNull();
    });

    it("search_audit needs auditor+: a requester is refused (audited as failed), an auditor searches", async () => {
      const requesterKey = await srv.keyFor("requester");
      const requester = await connect(requesterKey);
      const refused = await requester.callTool({ name: "search_audit", arguments: { q: "hello" } });
      expect(refused.isError).toBe(true);
      expect((refused.content as { text: string }[])[0]!.text).toContain("FORBIDDEN");
      const name = await keyName(requester);
      const failed = (await auditOf(`key:${name}`)).filter((e) => e.details.tool === "search_audit" && e.details.transport === transport);
      expect(failed.at(-1) ?? failed[0]).toMatchObject({ outcome: "failed", errorCode: "FORBIDDEN" });

      const auditor = await connect(await srv.keyFor("auditor"));
      const page = await auditor.callTool({ name: "search_audit", arguments: { kind: ["send"], limit: 5 } });
      expect(page.isError).toBeFalsy();
      const items = (page.structuredContent as Structured).items as { kind: string }[];
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((e) => e.kind === "send")).toBe(true);
      // an auditor cannot send
      const send = await auditor.callTool({ name: "send", arguments: { to: "bob", message: "no" } });
      expect(send.isError).toBe(true);
    });
  });

  describe("HTTP refusals", () => {
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
    const post = (headers: Record<string, string>) =>
      fetch(`${srv.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(init) });

    it("answers 401 without a key or with an invalid one", async () => {
      const none = await post({});
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const bad = await post({ authorization: "Bearer tm_not-a-real-key" });
      expect(bad.status).toBe(401);
      await expect(httpClient("tm_not-a-real-key")).rejects.toThrow();
    });

    it("does not take a session cookie", async () => {
      const cookie = await srv.login();
      expect((await post({ cookie })).status).toBe(401);
    });

    it("refuses a foreign Host or Origin (DNS rebinding), takes a local one", async () => {
      const key = await srv.keyFor("operator");
      const auth = { authorization: `Bearer ${key}` };
      expect((await post({ ...auth, origin: "https://evil.example" })).status).toBe(403);
      expect((await post({ ...auth, origin: "null" })).status).toBe(403);
      const port = new URL(srv.url).port;
      const { request } = await import("node:http");
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${srv.url}/mcp`, { method: "POST", headers: { ...auth, host: `evil.example:${port}`, "content-type": "application/json", accept: "application/json, text/event-stream" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end(JSON.stringify(init));
      });
      expect(status).toBe(403);
      expect((await post({ ...auth, origin: `http://localhost:${port}` })).status).toBe(200);
    });
  });
});
