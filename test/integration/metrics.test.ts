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
