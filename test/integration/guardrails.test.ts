// Guardrails on the real server: secret scanning on every send path (REST send and broadcast,
// MCP, A2A) and the admin override, audited with masked findings only.
import { Role, type SendMessageRequest } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { Client as McpClient, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-guard-51ac";
// built at run time: no literal secret in the repository
const GHP = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5";
const TM_KEY = "tm_" + "Qx7vR2mN9pL4kJ8hG6fD3sA1zX5cV0bN7mQ2wE4rT6y";
const AWS_ID = "AKIA" + "Z7QW3RTY5UIOPA2S";

function a2aRequest(text: string, metadata: Record<string, unknown>): SendMessageRequest {
  return {
    tenant: "",
    message: {
      messageId: crypto.randomUUID(),
      contextId: "",
      taskId: "",
      role: Role.ROLE_USER,
      parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }],
      metadata,
      extensions: [],
      referenceTaskIds: [],
    },
    configuration: { acceptedOutputModes: ["text/plain"], taskPushNotificationConfig: undefined, returnImmediately: false },
    metadata: undefined,
  };
}

describe("secret scanning of outgoing messages", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let operator: string;
  let admin: string;
  const auditOf = async () => (await srv.api("GET", "/api/v1/audit?kind=guard&limit=50", undefined, { key: admin })).body.items as { outcome: string; actor: string; errorCode: string | null; details: Record<string, unknown> }[];

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m.length}` });
    srv = await startTestServer();
    operator = await srv.keyFor("operator");
    admin = await srv.adminKey();
    await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });
  beforeEach(() => {
    gw.received.length = 0;
  });

  it("blocks a send with a GitHub token: 422 SECRET_DETECTED with masked findings, nothing sent, refusal audited", async () => {
    const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: `here is my token ${GHP} thanks` }, { key: operator });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("SECRET_DETECTED");
    expect(res.body.error.details.findings).toEqual([{ ruleId: "@secretlint/secretlint-rule-github/GITHUB_TOKEN", description: "GitHub token", match: expect.stringMatching(/^ghp_\*+/), blocking: true }]);
    expect(res.body.error.message).toContain("GitHub token");
    expect(res.text).not.toContain(GHP);
    expect(gw.received).toEqual([]);
    const [entry] = await auditOf();
    expect(entry).toMatchObject({ outcome: "failed", errorCode: "SECRET_DETECTED", details: { action: "secret_blocked", target: "send" } });
    expect(JSON.stringify(entry)).not.toContain(GHP);
  });

  it("a dry run warns with what matched (masked) instead of refusing", async () => {
    const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: `key ${TM_KEY}`, dryRun: true }, { key: operator });
    expect(res.status).toBe(200);
    expect(res.body.warnings).toEqual([{ code: "SECRET_DETECTED", message: expect.stringContaining("Team Mesh API key") }]);
    // the preview echoes the caller's own text; the warning names the match masked
    expect(JSON.stringify(res.body.warnings)).not.toContain(TM_KEY);
    expect(res.body.warnings[0].message).toContain("tm_Q****");
  });

  it("a low-confidence finding only warns: the send goes out with the warning on the message", async () => {
    const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "our aws_account_id = 1234-5678-9012" }, { key: operator });
    expect(res.status).toBe(200);
    expect(res.body.warnings).toEqual([{ code: "SECRET_SUSPECTED", message: expect.stringContaining("AWS account id") }]);
    expect(gw.received).toHaveLength(1);
  });

  it("refuses allowSecrets from a non-admin (403), even with nothing to override", async () => {
    for (const message of [`token ${GHP}`, "harmless"]) {
      const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message, allowSecrets: true }, { key: operator });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("SECRET_OVERRIDE_FORBIDDEN");
    }
    expect(gw.received).toEqual([]);
  });

  it("an admin may override; the audit records the override with masked findings only", async () => {
    const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: `deploy with ${AWS_ID}`, allowSecrets: true }, { key: admin });
    expect(res.status).toBe(200);
    expect(res.body.warnings[0]).toMatchObject({ code: "SECRET_DETECTED" });
    expect(gw.received).toHaveLength(1);
    const [entry] = await auditOf();
    expect(entry).toMatchObject({ outcome: "ok", actor: expect.stringMatching(/^key:/), details: { action: "secret_override", target: "send", findings: [{ description: "AWS access key id", blocking: true }] } });
    expect(JSON.stringify(entry)).not.toContain(AWS_ID);
  });

  it("blocks a broadcast at creation, and lets an admin override it", async () => {
    const blocked = await srv.api("POST", "/api/v1/broadcasts", { message: `all: ${GHP}` }, { key: operator });
    expect(blocked.status).toBe(422);
    expect(blocked.body.error.code).toBe("SECRET_DETECTED");
    const preview = await srv.api("POST", "/api/v1/broadcasts", { message: `all: ${GHP}`, dryRun: true }, { key: operator });
    expect(preview.status).toBe(200);
    expect(preview.body.warnings.map((w: { code: string }) => w.code)).toEqual(["SECRET_DETECTED"]);
    const forced = await srv.api("POST", "/api/v1/broadcasts", { message: `all: ${GHP}`, allowSecrets: true }, { key: admin });
    expect(forced.status).toBe(201);
    expect(forced.body.warnings[0].code).toBe("SECRET_DETECTED");
    expect((await auditOf())[0]).toMatchObject({ details: { action: "secret_override", target: "broadcast" } });
  });

  it("blocks the MCP send and prepare_broadcast tools", async () => {
    const client = new McpClient({ name: "guard-test", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${operator}` } } }));
    try {
      const sent = await client.callTool({ name: "send", arguments: { to: "bob", message: `mcp ${GHP}` } });
      expect(sent.isError).toBe(true);
      expect(JSON.stringify(sent.content)).toContain("SECRET_DETECTED");
      expect(JSON.stringify(sent)).not.toContain(GHP);
      const b = await client.callTool({ name: "prepare_broadcast", arguments: { message: `mcp all ${TM_KEY}` } });
      expect(b.isError).toBe(true);
      expect(JSON.stringify(b.content)).toContain("SECRET_DETECTED");
    } finally {
      await client.close();
    }
    expect(gw.received).toEqual([]);
  });

  it("blocks the A2A SendMessage to a teammate and as a broadcast", async () => {
    const fetchImpl: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set("Authorization", `Bearer ${operator}`);
      return fetch(input, { ...init, headers });
    };
    const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) }));
    const client = await factory.createFromUrl(srv.url);
    await expect(client.sendMessage(a2aRequest(`a2a ${GHP}`, { teammate: "bob" }))).rejects.toThrow(/SECRET_DETECTED|secret/i);
    await expect(client.sendMessage(a2aRequest(`a2a all ${GHP}`, { broadcast: true }))).rejects.toThrow(/SECRET_DETECTED|secret/i);
    expect(gw.received).toEqual([]);
  });

  it("never writes a blocked secret into the database file or the logs", async () => {
    await srv.api("POST", "/api/v1/messages", { to: "bob", message: `once more ${TM_KEY}` }, { key: operator });
    const bytes = ["team-mesh.db", "team-mesh.db-wal"].map((f) => {
      try {
        return readFileSync(join(srv.dataDir, f)).toString("latin1");
      } catch {
        return "";
      }
    });
    // the overridden sends are in the trail as sent; the refused ones must not be
    expect(bytes.join("")).not.toContain(TM_KEY);
    expect(srv.output()).not.toContain(TM_KEY);
  });
});
