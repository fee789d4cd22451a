// Rate-limited sign-ins over HTTP: every refusal still answers 429 RATE_LIMITED with Retry-After
// and the error envelope, but the audit trail gets one first entry per key and window and one
// aggregate with the count (written at shutdown here), not one row per refused attempt.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../support/server.ts";

const REFUSED = 300;

async function login(srv: TestServer, username: string, password: string) {
  const res = await fetch(`${srv.url}/api/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }) });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, unknown> };
}

describe("rate-limited sign-ins", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "team-mesh-refusals-"));
  let srv: TestServer | undefined;
  afterAll(async () => {
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${REFUSED} refused attempts: 429 + Retry-After each, 1 audit row now, 1 aggregate with the count at shutdown`, async () => {
    srv = await startTestServer({ dataDir });
    const key = await srv.adminKey();
    const refusalRows = async (s: TestServer) => {
      const r = await s.api("GET", "/api/v1/audit?kind=login&outcome=failed&limit=500", undefined, { key });
      expect(r.status).toBe(200);
      return (r.body.items as { errorCode: string | null; details: Record<string, unknown> | null }[]).filter((e) => e.errorCode === "RATE_LIMITED");
    };
    for (let i = 0; i < 10; i++) expect((await login(srv, "admin", `wrong-${i}`)).status).toBe(401);
    for (let i = 0; i < REFUSED; i++) {
      const r = await login(srv, "admin", "wrong-again");
      expect(r.status).toBe(429);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.body).toEqual({ error: expect.objectContaining({ code: "RATE_LIMITED", message: expect.any(String) }) });
    }
    const now = await refusalRows(srv);
    expect(now).toHaveLength(1);
    expect(now[0]?.details).toMatchObject({ action: "login_refused", username: "admin", ip: "127.0.0.1" });

    await srv.stop(); // graceful: writes the aggregate of the open window
    srv = await startTestServer({ dataDir });
    const rows = await refusalRows(srv);
    expect(rows).toHaveLength(2);
    expect(rows.find((e) => e.details?.action === "login_refused_aggregate")?.details).toMatchObject({ username: "admin", ip: "127.0.0.1", refused: REFUSED });
    const verify = await srv.api("GET", "/api/v1/audit/verify", undefined, { key });
    expect(verify.body.ok).toBe(true);
  });
});
