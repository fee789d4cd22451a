// The background presence sweep against the in-process fake gateway, with a 1 s interval:
// it refreshes who is up, never logs in again where the token was refused (OpenClaw's lockout),
// resumes once the token changes, and keeps a bounded history; status says when it goes stale.
import { AUTH_FAILED_HINT } from "../../shared/gateway-versions.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-sweep-7a7a";

type Status = { state: string; checkedAt: string | null; staleAt: string | null; autoCheck: string; hint: string | null; protocol: number | null; versionTested: boolean | null; version: string | null };

describe("presence sweep", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let key: string;
  const status = async (handle: string): Promise<Status> => (await srv.api("GET", `/api/v1/teammates/${handle}`, undefined, { key })).body.status;
  const failedLogins = () => gw.connects.filter((c) => !c.ok).length;

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ env: { MESH_PRESENCE_INTERVAL_SECONDS: "1", MESH_PING_TIMEOUT_SEC: "3" } });
    key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "up", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "locked", gatewayUrl: gw.url, token: "wrong-token" });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("refreshes an online teammate by itself and says when its status goes stale", async () => {
    const first = await until(() => status("up"), (s) => s.checkedAt !== null);
    const later = await until(() => status("up"), (s) => s.checkedAt !== null && s.checkedAt > (first.checkedAt as string));
    expect(later).toMatchObject({ state: "online", autoCheck: "on", hint: null });
    // stale after one interval + 10 % jitter + the probe timeout
    expect(Date.parse(later.staleAt as string) - Date.parse(later.checkedAt as string)).toBe(1100 + 3000);
    expect(later.protocol).toEqual(expect.any(Number));
    expect(typeof later.versionTested === "boolean" || later.versionTested === null).toBe(true);
    // the sweep writes no `ping` audit entry per run
    expect((await srv.api("GET", "/api/v1/audit?kind=ping", undefined, { key })).body.items).toHaveLength(0);
  });

  it("never tries a gateway that refused the token again; tells the user what to do", async () => {
    const locked = await until(() => status("locked"), (s) => s.state === "auth_failed");
    expect(locked).toMatchObject({ autoCheck: "paused", hint: AUTH_FAILED_HINT });
    expect(locked.hint).toContain("openclaw devices rotate");
    const failed = failedLogins();
    expect(failed).toBe(1);
    // two more sweeps of `up` go by: `locked` is not tried by any of them
    const seen = (await status("up")).checkedAt as string;
    const next = await until(() => status("up"), (s) => (s.checkedAt as string) > seen);
    await until(() => status("up"), (s) => (s.checkedAt as string) > (next.checkedAt as string));
    expect(failedLogins()).toBe(failed);
    expect((await status("locked")).checkedAt).toBe(locked.checkedAt);
  });

  it("a manual ping still tries once", async () => {
    const before = failedLogins();
    const res = await srv.api("POST", "/api/v1/ping", { to: "locked" }, { key });
    expect(res.body.teammates[0].status).toMatchObject({ state: "auth_failed", autoCheck: "paused" });
    expect(failedLogins()).toBe(before + 1);
  });

  it("resumes once the token changes", async () => {
    const admin = await srv.adminKey();
    expect((await srv.api("PUT", "/api/v1/teammates/locked/token", { token: TOKEN }, { key: admin })).status).toBe(200);
    const online = await until(() => status("locked"), (s) => s.state === "online");
    expect(online.autoCheck).toBe("on");
    await until(() => status("locked"), (s) => (s.checkedAt as string) > (online.checkedAt as string));
  });

  it("keeps a history of checks, newest first", async () => {
    const res = await srv.api("GET", "/api/v1/teammates/locked/history", undefined, { key });
    expect(res.status).toBe(200);
    const states = res.body.items.map((i: { state: string }) => i.state);
    expect(states[0]).toBe("online");
    expect(states).toContain("auth_failed");
    expect(res.body.items[0]).toMatchObject({ at: expect.any(String), latencyMs: expect.any(Number), errorCode: null });
    const failed = res.body.items.find((i: { state: string }) => i.state === "auth_failed");
    expect(failed.errorCode).toBe("AUTH_FAILED");
  });
});
