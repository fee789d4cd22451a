// /metrics: protected by MESH_METRICS_TOKEN or metrics:read; counts requests, sends, broadcasts.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-metrics-0b0b";
const METRICS_TOKEN = "metrics-bearer-4e4e4e";

describe("metrics", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ env: { MESH_METRICS_TOKEN: METRICS_TOKEN } });
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("refuses anonymous, wrong token and roles without metrics:read", async () => {
    expect((await srv.api("GET", "/metrics")).status).toBe(401);
    expect((await srv.api("GET", "/metrics", undefined, { key: "wrong" })).status).toBe(401);
    const op = await srv.api("GET", "/metrics", undefined, { key: await srv.keyFor("operator") });
    expect(op.status).toBe(403);
    expect(op.body.error.details.needs).toBe("metrics:read");
  });

  it("exposes request, send, broadcast, connection and teammate metrics", async () => {
    const key = await srv.keyFor("operator");
    await srv.api("POST", "/api/v1/ping", {}, { key });
    await srv.api("POST", "/api/v1/messages", { to: "bob", message: "count me" }, { key });
    const b = await srv.api("POST", "/api/v1/broadcasts", { message: "count us" }, { key });
    await srv.api("POST", `/api/v1/broadcasts/${b.body.id}/confirm`, { token: b.body.confirmationToken, wait: true }, { key });
    const res = await srv.api("GET", "/metrics", undefined, { key: METRICS_TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = res.text;
    expect(text).toMatch(/mesh_http_requests_total\{method="POST",route="\/api\/v1\/messages",status="200"\} 1/);
    expect(text).toMatch(/mesh_sends_total\{outcome="replied",kind="message"\} 1/);
    expect(text).toMatch(/mesh_sends_total\{outcome="replied",kind="broadcast"\} 1/);
    expect(text).toMatch(/mesh_send_latency_seconds_count\{outcome="replied"\} 2/);
    expect(text).toMatch(/mesh_broadcast_recipients_count 1/);
    expect(text).toMatch(/mesh_broadcast_duration_seconds_count 1/);
    expect(text).toMatch(/mesh_gateway_connections_open \d+/);
    expect(text).toMatch(/mesh_teammates\{status="online"\} 1/);
    expect(text).not.toContain(TOKEN);
    const admin = await srv.api("GET", "/metrics", undefined, { key: await srv.adminKey() });
    expect(admin.status).toBe(200);
  });
});

describe("access log", () => {
  it("labels requests with the route pattern, never the query string", async () => {
    const srv = await startTestServer();
    try {
      const key = await srv.keyFor("auditor");
      await srv.api("GET", "/api/v1/status?secret=s3cr3t-query", undefined, { key });
      await srv.api("GET", "/api/v1/messages/abc-123", undefined, { key });
      const lines = srv
        .output()
        .split("\n")
        .filter((l) => l.includes('"msg":"request"'))
        .map((l) => JSON.parse(l) as { route: string; path: string; status: number; requestId: string });
      expect(lines.find((l) => l.path === "/api/v1/status")).toMatchObject({ route: "/api/v1/status", status: 200 });
      expect(lines.find((l) => l.path === "/api/v1/messages/abc-123")).toMatchObject({ route: "/api/v1/messages/:id", status: 404 });
      expect(lines.every((l) => typeof l.requestId === "string")).toBe(true);
      expect(srv.output()).not.toContain("s3cr3t-query");
    } finally {
      await srv.stop();
    }
  });
});
