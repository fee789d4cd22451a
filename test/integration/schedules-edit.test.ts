// PATCH /schedules/{id}: bad input is refused with codes; timing, name and pausing keep a
// pre-approval (and runs stay auto-confirmed); a new text or group lapses it (audited); a paused
// schedule does not fire; an ended one-off needs a new time to resume; the edited text is what fires.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-schedules-edit-51c2";
type Run = { fireTime: string; broadcastId: string | null; outcome: string };
type AuditItem = { actor: string; details: { action: string; scheduleId?: number; reason?: string; changed?: string[] } };

describe("editing scheduled broadcasts", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let admin: string;
  let operator: string;
  const api = (method: string, path: string, body?: unknown, key = operator) => srv.api(method, path, body, { key });
  const create = async (body: Record<string, unknown>) => {
    const r = await api("POST", "/api/v1/schedules", body);
    expect(r.status).toBe(201);
    return r.body as { id: number; sha256: string; nextRunAt: string | null; nextRuns: string[] };
  };
  const auditFor = async (id: number, action: string) => {
    const audit = await srv.api("GET", "/api/v1/audit?kind=broadcast&limit=500", undefined, { key: admin });
    return (audit.body.items as AuditItem[]).filter((e) => e.details.action === action && e.details.scheduleId === id);
  };

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` });
    srv = await startTestServer({ env: { MESH_SCHEDULE_TICK_MS: "100" } });
    admin = await srv.adminKey();
    operator = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "ann", gatewayUrl: gw.url, token: TOKEN, tags: ["backend"] });
    await srv.addTeammate({ handle: "bob", gatewayUrl: null, tags: ["ops"] });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("refuses bad edits with a status and a code, and changes nothing", async () => {
    const s = await create({ name: "daily", message: "daily check", cron: "0 9 * * *" });
    const cases: [unknown, number, string, string?][] = [
      [{ cron: "61 * * * *" }, 400, "VALIDATION_FAILED", "not a cron expression"],
      [{ timezone: "Mars/Olympus" }, 400, "VALIDATION_FAILED", "Unknown time zone"],
      [{ cron: "* * * * *", runAt: new Date(Date.now() + 60_000).toISOString() }, 400, "VALIDATION_FAILED"],
      [{ runAt: new Date(Date.now() - 1000).toISOString() }, 400, "VALIDATION_FAILED", "past"],
      [{}, 400, "VALIDATION_FAILED", "nothing to change"],
      [{ group: "backend" }, 400, "VALIDATION_FAILED"],
      [{ message: "" }, 400, "VALIDATION_FAILED"],
      [{ enabled: "no" }, 400, "VALIDATION_FAILED"],
    ];
    for (const [body, status, code, text] of cases) {
      const r = await api("PATCH", `/api/v1/schedules/${s.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.code).toBe(code);
      if (text) expect(r.body.error.message).toContain(text);
    }
    const unknown = await api("PATCH", "/api/v1/schedules/99999", { name: "x" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("SCHEDULE_NOT_FOUND");
    expect((await api("PATCH", "/api/v1/schedules/abc", { name: "x" })).status).toBe(400);
    const auditor = await srv.api("PATCH", `/api/v1/schedules/${s.id}`, { name: "x" }, { key: await srv.keyFor("auditor") });
    expect(auditor.status).toBe(403);
    const after = (await api("GET", `/api/v1/schedules/${s.id}`)).body;
    expect(after).toMatchObject({ name: "daily", message: "daily check", cron: "0 9 * * *", timezone: "UTC", nextRunAt: s.nextRunAt });
    expect(await auditFor(s.id, "schedule.updated")).toEqual([]);
  });

  it("a timing or name edit keeps the pre-approval and recomputes the next runs; runs stay auto-confirmed", async () => {
    const s = await create({ name: "sync", message: "kept approval", cron: "0 9 * * *", tags: ["backend"] });
    expect((await api("POST", `/api/v1/schedules/${s.id}/approve`, undefined, admin)).status).toBe(200);
    const moved = await api("PATCH", `/api/v1/schedules/${s.id}`, { name: "weekly sync", cron: "30 8 * * 1", timezone: "Europe/Berlin" });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ name: "weekly sync", cron: "30 8 * * 1", timezone: "Europe/Berlin", approval: { sha256: s.sha256, recipients: ["ann"] } });
    expect(moved.body.nextRuns).toHaveLength(5);
    for (const t of moved.body.nextRuns as string[]) {
      const local = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(t));
      expect(local).toBe("Mon 08:30");
    }
    expect(moved.body.nextRunAt).toBe(moved.body.nextRuns[0]);
    expect(moved.body.nextRunAt).not.toBe(s.nextRunAt);
    // every second now: the kept approval confirms the runs at once
    const fast = await api("PATCH", `/api/v1/schedules/${s.id}`, { cron: "* * * * * *" });
    expect(fast.body.approval).not.toBeNull();
    await until(() => api("GET", `/api/v1/schedules/${s.id}`), (r) => r.body.runs.some((x: Run) => x.outcome === "auto_confirmed"), 10_000, 100);
    await until(async () => gw.received.filter((m) => m === "kept approval").length, (n) => n >= 1, 10_000, 100);
    const updates = await auditFor(s.id, "schedule.updated");
    expect(updates.map((e) => e.details.changed)).toEqual(expect.arrayContaining([["cron", "name", "timezone"], ["cron"]]));
    expect(await auditFor(s.id, "schedule.approval_lapsed")).toEqual([]);
    expect((await api("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
  });

  it("a new text or a new group lapses the pre-approval, audited with the reason and the editor", async () => {
    const s = await create({ name: "notice", message: "first text", cron: "0 9 * * *", tags: ["backend"] });
    await api("POST", `/api/v1/schedules/${s.id}/approve`, undefined, admin);
    // the same text again is no change: the approval is bound to the hash
    expect((await api("PATCH", `/api/v1/schedules/${s.id}`, { message: "first text" })).body.approval).not.toBeNull();
    const text = await api("PATCH", `/api/v1/schedules/${s.id}`, { message: "second text" });
    expect(text.status).toBe(200);
    expect(text.body.approval).toBeNull();
    expect(text.body.sha256).not.toBe(s.sha256);
    await api("POST", `/api/v1/schedules/${s.id}/approve`, undefined, admin);
    const group = await api("PATCH", `/api/v1/schedules/${s.id}`, { tags: ["backend", "ops"] });
    expect(group.body).toMatchObject({ tags: ["backend", "ops"], approval: null });
    await api("POST", `/api/v1/schedules/${s.id}/approve`, undefined, admin);
    const everyone = await api("PATCH", `/api/v1/schedules/${s.id}`, { tags: null });
    expect(everyone.body).toMatchObject({ tags: null, approval: null });
    const lapses = await auditFor(s.id, "schedule.approval_lapsed");
    expect(lapses.map((e) => e.details.reason)).toEqual(["the recipients were edited", "the recipients were edited", "the text was edited"]);
    for (const e of lapses) expect(e.actor).toMatch(/^key:test-operator/);
  });

  it("a paused schedule does not fire; an ended one-off needs a new time; the edited text is what fires", async () => {
    const runAt = new Date(Date.now() + 600).toISOString();
    const s = await create({ name: "once", message: "old words", runAt, tags: ["backend"] });
    const paused = await api("PATCH", `/api/v1/schedules/${s.id}`, { enabled: false });
    expect(paused.body).toMatchObject({ enabled: false, nextRunAt: null, nextRuns: [] });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await api("GET", `/api/v1/schedules/${s.id}`)).body.runs).toEqual([]);
    const ended = await api("PATCH", `/api/v1/schedules/${s.id}`, { enabled: true });
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe("SCHEDULE_ENDED");
    expect(ended.body.error.message).toContain("give a new runAt");
    expect((await api("GET", `/api/v1/schedules/${s.id}`)).body.enabled).toBe(false);
    const again = new Date(Date.now() + 400).toISOString();
    const resumed = await api("PATCH", `/api/v1/schedules/${s.id}`, { enabled: true, runAt: again, message: "new words" });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ enabled: true, runAt: again, nextRunAt: again, nextRuns: [again], cron: null });
    const done = await until(() => api("GET", `/api/v1/schedules/${s.id}`), (r) => r.body.runs.length === 1, 10_000, 100);
    const run = done.body.runs[0] as Run;
    expect(run).toMatchObject({ fireTime: again, outcome: "awaiting_confirmation" });
    const b = (await api("GET", `/api/v1/broadcasts/${run.broadcastId}`)).body;
    expect(b.message).toBe("new words");
    await api("POST", `/api/v1/broadcasts/${run.broadcastId}/cancel`);
    // a one-off turned into a cron schedule
    const cron = await api("PATCH", `/api/v1/schedules/${s.id}`, { cron: "0 12 * * *" });
    expect(cron.body).toMatchObject({ cron: "0 12 * * *", runAt: null });
    expect(cron.body.nextRuns).toHaveLength(5);
  });
});
