// A client that drops the connection in the middle of a chunked body is a client abort: logged as
// such (no stack trace, no "unhandled error"), a 4xx in the access log and metrics, never a 500.
import { request } from "node:http";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const METRICS_TOKEN = "metrics-bearer-abort-5a5a";

describe("client abort mid-body", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { MESH_METRICS_TOKEN: METRICS_TOKEN } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it("is logged as a client abort with a 4xx status, not a 500 with a stack", { timeout: 60_000 }, async () => {
    const key = await srv.keyFor("operator");
    const req = request(`${srv.url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked", authorization: `Bearer ${key}` },
    });
    req.on("error", () => undefined);
    // headers and half a body are flushed, then the socket is dropped (TCP keeps the order)
    await new Promise<void>((r) => req.write('{"to": "bob", "message": "hal', () => r()));
    req.destroy();

    const line = await until(
      () => srv.output().split("\n").find((l) => l.includes('"msg":"request"') && l.includes('"path":"/api/v1/messages"') && l.includes('"method":"POST"')),
      (l) => l !== undefined,
      20_000,
    );
    const rec = JSON.parse(line as string) as { status: number };
    expect(rec.status).toBeGreaterThanOrEqual(400);
    expect(rec.status).toBeLessThan(500);
    const out = srv.output();
    expect(out).toMatch(/client aborted the request/);
    expect(out).not.toMatch(/unhandled error/);
    expect(out).not.toMatch(/"stack"/);

    const metrics = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await metrics.text();
    const posts = text.split("\n").filter((l) => l.includes('method="POST"') && l.includes('route="/api/v1/messages"'));
    expect(posts.some((l) => /status="4\d\d"/.test(l))).toBe(true);
    expect(posts.some((l) => /status="5\d\d"/.test(l))).toBe(false);
  });
});
