// Audit API over real HTTP: list/filter/search/pages, one entry, streamed export, verify, roles.
import { startTestServer, type ApiResponse, type TestServer } from "../support/server.ts";

describe("audit API", () => {
  let srv: TestServer;
  let admin: string;
  let auditor: string;
  let requester: string;
  const api = (method: string, path: string, key = auditor): Promise<ApiResponse> => srv.api(method, path, undefined, { key });

  beforeAll(async () => {
    srv = await startTestServer();
    admin = await srv.adminKey();
    auditor = await srv.keyFor("auditor");
    requester = await srv.keyFor("requester");
    const audit = srv.running!.services.audit;
    audit.append({ actor: "user:alice", kind: "send", outcome: "replied", teammate: "bob", message: "deploy the release tonight", reply: 'ok, "quoted", and\nmultiline' });
    audit.append({ actor: "user:alice", kind: "send", outcome: "timeout", teammate: "carol", message: "lunch?" });
    const p = audit.append({ actor: "key:ci", kind: "send", outcome: "pending", teammate: "bob", message: "release notes", broadcastId: "b-1", messageId: "m-1" });
    audit.complete(p.id, { outcome: "replied", reply: "notes are ready" });
    for (let i = 0; i < 30; i++) audit.append({ actor: "system", kind: "ping", outcome: "ok", details: { i } });
  });
  afterAll(async () => srv?.stop());

  it("401 / 403 by role", async () => {
    expect((await srv.api("GET", "/api/v1/audit")).status).toBe(401);
    const r = await api("GET", "/api/v1/audit", requester);
    expect(r.status).toBe(403);
    expect(r.body.error.details).toEqual({ needs: "audit:read", roles: ["admin", "operator", "auditor"] });
    for (const p of ["/api/v1/audit/1", "/api/v1/audit/export", "/api/v1/audit/verify"]) expect((await api("GET", p, requester)).status).toBe(403);
  });

  it("lists newest first with filters and cursor pages", async () => {
    const sends = await api("GET", "/api/v1/audit?kind=send&limit=2");
    expect(sends.status).toBe(200);
    expect(sends.body.items.map((e: { message: string }) => e.message)).toEqual(["release notes", "lunch?"]);
    expect(sends.body.nextCursor).toEqual(expect.any(String));
    const next = await api("GET", `/api/v1/audit?kind=send&limit=2&cursor=${encodeURIComponent(sends.body.nextCursor)}`);
    expect(next.body.items.map((e: { message: string }) => e.message)).toEqual(["deploy the release tonight"]);
    expect(next.body.nextCursor).toBeNull();
    expect((await api("GET", "/api/v1/audit?teammate=bob&outcome=replied")).body.items).toHaveLength(2);
    expect((await api("GET", "/api/v1/audit?kind=send,ping&limit=500")).body.items.length).toBeGreaterThanOrEqual(33);
    expect((await api("GET", "/api/v1/audit?broadcastId=b-1")).body.items).toHaveLength(1);
    expect((await api("GET", "/api/v1/audit?messageId=m-1")).body.items[0].reply).toBe("notes are ready");
    expect((await api("GET", "/api/v1/audit?actor=key:ci")).body.items).toHaveLength(1);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await api("GET", `/api/v1/audit?from=${encodeURIComponent(future)}`)).body.items).toHaveLength(0);
  });

  it("searches message and reply; hostile search text is never a 500", async () => {
    const r = await api("GET", "/api/v1/audit?q=release");
    expect(r.body.items.map((e: { message: string }) => e.message)).toEqual(["release notes", "deploy the release tonight"]);
    expect((await api("GET", "/api/v1/audit?q=notes%20ready")).body.items).toHaveLength(1);
    for (const q of ['"', "AND", "(((", "reply:x OR", "NEAR(a b", "*", '";DROP TABLE audit_entries;--', "rel\u0000ease", "\u0000", 'a"\u0000']) {
      const res = await api("GET", `/api/v1/audit?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      const file = await api("GET", `/api/v1/audit/export?q=${encodeURIComponent(q)}`);
      expect(file.status, q).toBe(200);
    }
  });

  it("400 for bad query values, 404 for a missing entry", async () => {
    expect((await api("GET", "/api/v1/audit?kind=bogus")).status).toBe(400);
    expect((await api("GET", "/api/v1/audit?limit=0")).status).toBe(400);
    expect((await api("GET", "/api/v1/audit?limit=501")).status).toBe(400);
    expect((await api("GET", "/api/v1/audit?from=yesterday")).status).toBe(400);
    const badCursor = await api("GET", "/api/v1/audit?cursor=%21%21");
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.code).toBe("VALIDATION_FAILED");
    expect((await api("GET", "/api/v1/audit/abc")).status).toBe(400);
    const missing = await api("GET", "/api/v1/audit/999999");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("NOT_FOUND");
  });

  it("one entry by id", async () => {
    const first = (await api("GET", "/api/v1/audit?kind=send&teammate=carol")).body.items[0];
    const r = await api("GET", `/api/v1/audit/${first.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(first);
    expect(r.body.messageBytes).toBe(6);
    expect(r.body.messageSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("exports NDJSON and CSV as a download", async () => {
    const nd = await fetch(`${srv.url}/api/v1/audit/export?kind=send`, { headers: { Authorization: `Bearer ${auditor}` } });
    expect(nd.status).toBe(200);
    expect(nd.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(nd.headers.get("content-disposition")).toMatch(/^attachment; filename="team-mesh-audit-.*\.ndjson"$/);
    const lines = (await nd.text()).trim().split("\n").map((l) => JSON.parse(l) as { message: string; id: number });
    expect(lines.map((l) => l.message)).toEqual(["deploy the release tonight", "lunch?", "release notes"]);
    const csv = await fetch(`${srv.url}/api/v1/audit/export?format=csv&kind=send&teammate=bob`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/\.csv"$/);
    const text = await csv.text();
    expect(text.startsWith("id,at,actor,kind,teammate,")).toBe(true);
    expect(text).toContain('"ok, ""quoted"", and\nmultiline"');
    expect(text.split("\r\n").filter(Boolean)).toHaveLength(3); // header + 2 rows (one cell spans two lines)
    expect((await api("GET", "/api/v1/audit/export?format=xml")).status).toBe(400);
  });

  it("verify reports an intact chain", async () => {
    const r = await api("GET", "/api/v1/audit/verify");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, firstBrokenId: null, reason: null });
    expect(r.body.checked).toBeGreaterThanOrEqual(33);
  });
});

describe("audit verify after tampering", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => srv?.stop());

  it("names the first broken entry", async () => {
    const key = await srv.adminKey();
    const audit = srv.running!.services.audit;
    const a = audit.append({ actor: "user:x", kind: "send", outcome: "replied", message: "original", reply: "r" });
    audit.append({ actor: "user:x", kind: "send", outcome: "replied", message: "later" });
    const sql = srv.running!.services.db.$client;
    sql.exec("drop trigger audit_complete_once");
    sql.prepare("update audit_entries set message = 'forged' where id = ?").run(a.id);
    const r = await srv.api("GET", "/api/v1/audit/verify", undefined, { key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: false, firstBrokenId: a.id });
    expect(r.body.reason).toMatch(/altered/);
  });
});
