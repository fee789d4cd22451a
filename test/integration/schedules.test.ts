// Scheduled broadcasts: validation, next-runs preview, one-off and cron runs, pre-approval that
// lapses when the recipients change, never twice with two servers on one database file, restart.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-schedules-9e0a";
const TICK = { MESH_SCHEDULE_TICK_MS: "100" };
type Run = { fireTime: string; broadcastId: string | null; outcome: string };

describe("scheduled broadcasts", () => {
  let srv: TestServer;
  let gws: FakeGateway[];
  let admin: string;
  let operator: string;
  const api = (method: string, path: string, body?: unknown, key = operator) => srv.api(method, path, body, { key });

  beforeAll(async () => {
    gws = await Promise.all([0, 1].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
    srv = await startTestServer({ env: TICK });
    admin = await srv.adminKey();
    operator = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "ann", gatewayUrl: gws[0]!.url, token: TOKEN, tags: ["backend"] });
    await srv.addTeammate({ handle: "bob", gatewayUrl: gws[1]!.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await Promise.all(gws.map((g) => g.stop()));
  });

  it("previews the next runs of a cron expression, in order and in words; bad input is 400", async () => {
    const p = await api("POST", "/api/v1/schedules/preview", { cron: "0 9 * * 1-5", timezone: "Europe/Berlin", count: 3 });
    expect(p.status).toBe(200);
    expect(p.body.nextRuns).toHaveLength(3);
    const times = p.body.nextRuns.map((t: string) => Date.parse(t));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeGreaterThan(Date.now());
    for (const h of p.body.human) expect(h).toMatch(/^(Mon|Tue|Wed|Thu|Fri), .*09:00 \(Europe\/Berlin\)$/);
    const bad = await api("POST", "/api/v1/schedules/preview", { cron: "every tuesday" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.body.error.message).toContain("not a cron expression");
    const zone = await api("POST", "/api/v1/schedules/preview", { cron: "0 9 * * *", timezone: "Mars/Olympus" });
    expect(zone.status).toBe(400);
    expect(zone.body.error.message).toContain("Unknown time zone");
  });

  it("refuses a schedule with neither or both of cron and runAt, a past runAt, a requester-free auditor", async () => {
    const neither = await api("POST", "/api/v1/schedules", { name: "x", message: "x" });
    expect(neither.status).toBe(400);
    expect(neither.body.error.code).toBe("VALIDATION_FAILED");
    const both = await api("POST", "/api/v1/schedules", { name: "x", message: "x", cron: "* * * * *", runAt: new Date(Date.now() + 60_000).toISOString() });
    expect(both.status).toBe(400);
    const past = await api("POST", "/api/v1/schedules", { name: "x", message: "x", runAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toContain("past");
    const auditor = await srv.api("POST", "/api/v1/schedules", { name: "x", message: "x", cron: "* * * * *" }, { key: await srv.keyFor("auditor") });
    expect(auditor.status).toBe(403);
    expect((await api("GET", "/api/v1/schedules/999")).body.error.code).toBe("SCHEDULE_NOT_FOUND");
    expect((await api("GET", "/api/v1/schedules")).body.items).toEqual([]);
  });

  it("a one-off run creates one broadcast awaiting confirmation; nothing is sent", async () => {
    const runAt = new Date(Date.now() + 400).toISOString();
    const s = (await api("POST", "/api/v1/schedules", { name: "once", message: "one-off reminder", runAt, tags: ["backend"] })).body;
    expect(s.nextRuns).toEqual([runAt]);
    const done = await until(() => api("GET", `/api/v1/schedules/${s.id}`), (r) => r.body.runs.length === 1, 10_000, 100);
    const run = done.body.runs[0] as Run;
    expect(run).toMatchObject({ fireTime: runAt, outcome: "awaiting_confirmation" });
    expect(done.body.nextRunAt).toBeNull();
    const b = (await api("GET", `/api/v1/broadcasts/${run.broadcastId}`)).body;
    expect(b.state).toBe("awaiting_confirmation");
    expect(b.recipients.map((r: { handle: string }) => r.handle)).toEqual(["ann"]);
    expect(b.createdBy.name).toBe(s.createdBy.name);
    await new Promise((r) => setTimeout(r, 400));
    expect((await api("GET", `/api/v1/schedules/${s.id}`)).body.runs).toHaveLength(1);
    expect(gws[0]!.received).toEqual([]);
    await api("POST", `/api/v1/broadcasts/${run.broadcastId}/cancel`);
  });

  it("pre-approval (admin only, audited) confirms runs while text and recipients match; a new recipient lapses it", async () => {
    const s = (await api("POST", "/api/v1/schedules", { name: "ticker", message: "approved tick", cron: "* * * * * *", tags: ["backend"] })).body;
    const denied = await api("POST", `/api/v1/schedules/${s.id}/approve`);
    expect(denied.status).toBe(403);
    const approved = await api("POST", `/api/v1/schedules/${s.id}/approve`, undefined, admin);
    expect(approved.status).toBe(200);
    expect(approved.body.approval).toMatchObject({ recipients: ["ann"], sha256: s.sha256, by: { role: "admin" } });
    await until(() => api("GET", `/api/v1/schedules/${s.id}`), (r) => r.body.runs.some((x: Run) => x.outcome === "auto_confirmed"), 10_000, 100);
    await until(async () => gws[0]!.received.filter((m) => m === "approved tick").length, (n) => n >= 1, 10_000, 100);
    // bob joins the group: the resolved recipients differ from the approved ones
    await srv.api("PATCH", "/api/v1/teammates/bob", { tags: ["backend"] }, { key: admin });
    const lapsed = await until(() => api("GET", `/api/v1/schedules/${s.id}`), (r) => r.body.approval === null, 10_000, 100);
    const latest = lapsed.body.runs.find((x: Run) => x.outcome === "awaiting_confirmation") as Run;
    expect(latest).toBeDefined();
    const b = (await api("GET", `/api/v1/broadcasts/${latest.broadcastId}`)).body;
    expect(b.state).toBe("awaiting_confirmation");
    expect(b.recipients.map((r: { handle: string }) => r.handle)).toEqual(["ann", "bob"]);
    expect(gws[1]!.received).toEqual([]);
    const audit = await srv.api("GET", "/api/v1/audit?kind=broadcast&limit=200", undefined, { key: admin });
    const actions = audit.body.items.map((e: { details: { action: string } }) => e.details.action);
    expect(actions).toEqual(expect.arrayContaining(["schedule.approved", "schedule.approval_lapsed", "schedule.fired"]));
    expect((await api("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    await srv.api("PATCH", "/api/v1/teammates/bob", { tags: [] }, { key: admin });
  });
});

describe("scheduled broadcasts across servers and restarts", () => {
  it("two servers on one database file never fire a run twice; a restart neither repeats nor loses the one-off", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "team-mesh-sched-"));
    const a = await startTestServer({ dataDir, env: TICK });
    const key = await a.adminKey();
    await a.addTeammate({ handle: "ann", gatewayUrl: "ws://127.0.0.1:9", token: TOKEN });
    const b = await startTestServer({ dataDir, env: TICK });
    const cron = (await a.api("POST", "/api/v1/schedules", { name: "race", message: "race tick", cron: "* * * * * *" }, { key })).body;
    await new Promise((r) => setTimeout(r, 3500));
    const runs = (await b.api("GET", `/api/v1/schedules/${cron.id}`, undefined, { key })).body.runs as Run[];
    await a.api("DELETE", `/api/v1/schedules/${cron.id}`, undefined, { key });
    const broadcasts = (await b.api("GET", "/api/v1/broadcasts", undefined, { key })).body.items.filter((x: { message: string }) => x.message === "race tick");
    // one broadcast per claimed run: the ids of the runs are exactly the broadcasts (a run left mid-fire has none yet)
    const ids = runs.map((r) => r.broadcastId).filter((x): x is string => x !== null);
    expect(new Set(runs.map((r) => r.fireTime)).size).toBe(runs.length);
    expect(broadcasts.map((x: { id: string }) => x.id).sort()).toEqual(expect.arrayContaining(ids.sort()));
    expect(broadcasts.length).toBeLessThanOrEqual(runs.length);
    // about one a second, each from exactly one server
    expect(broadcasts.length).toBeGreaterThanOrEqual(2);
    expect(broadcasts.length).toBeLessThanOrEqual(5);
    expect(new Set(broadcasts.map((x: { createdAt: string }) => x.createdAt.slice(0, 19))).size).toBe(broadcasts.length);

    // a one-off due while no server runs fires once on the next start, and not again after that
    const runAt = new Date(Date.now() + 800).toISOString();
    const once = (await b.api("POST", "/api/v1/schedules", { name: "while down", message: "fired after restart", runAt }, { key })).body;
    await a.stop();
    await b.stop();
    await new Promise((r) => setTimeout(r, 1200));
    const c = await startTestServer({ dataDir, env: TICK });
    const fired = await until(() => c.api("GET", `/api/v1/schedules/${once.id}`, undefined, { key }), (r) => r.body.runs.length === 1, 10_000, 100);
    expect(fired.body.runs[0]).toMatchObject({ fireTime: runAt, outcome: "awaiting_confirmation" });
    await c.stop();
    const d = await startTestServer({ dataDir, env: TICK });
    await new Promise((r) => setTimeout(r, 500));
    expect((await d.api("GET", `/api/v1/schedules/${once.id}`, undefined, { key })).body.runs).toHaveLength(1);
    const all = (await d.api("GET", "/api/v1/broadcasts", undefined, { key })).body.items.filter((x: { message: string }) => x.message === "fired after restart");
    expect(all).toHaveLength(1);
    await d.stop();
  });
});
