// GET /broadcasts/{id}/answers: the answers grouped (shared/answers/group.ts) as CSV / NDJSON /
// Markdown, with download headers, formula-safe CSV, a status filter, 404 and permissions.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-answers-81c2";
const EVIL = '=HYPERLINK("http://x.example/?q=1","click"), then\na second line';

describe("broadcast answers export", () => {
  let srv: TestServer;
  let gws: FakeGateway[];
  let operator: string;
  let id: string;
  const get = (path: string, key?: string) => srv.api("GET", path, undefined, key ? { key } : {});

  beforeAll(async () => {
    const replies = ["Yes, ship it.", "yes ship it", "yes, ship it!!", EVIL];
    gws = await Promise.all(replies.map((r) => startFakeGateway({ token: TOKEN, reply: () => r })));
    const silent = await startFakeGateway({ token: TOKEN, faults: { noChallenge: true } });
    gws.push(silent);
    srv = await startTestServer();
    operator = await srv.keyFor("operator");
    for (const [i, g] of gws.entries()) await srv.addTeammate({ handle: `t${i}`, name: `Teammate ${i}`, gatewayUrl: g.url, token: TOKEN });
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "ship?", timeoutSec: 2 }, { key: operator });
    expect(created.status).toBe(201);
    id = created.body.id;
    const confirmed = await srv.api("POST", `/api/v1/broadcasts/${id}/confirm`, { token: created.body.confirmationToken }, { key: operator });
    expect(confirmed.status).toBe(202);
    await until(() => get(`/api/v1/broadcasts/${id}`, operator), (r) => r.body.state === "completed", 30_000, 100);
  });
  afterAll(async () => {
    await srv.stop();
    await Promise.all(gws.map((g) => g.stop()));
  });

  it("CSV: a header row, one row per recipient in group order, formula-safe and RFC 4180-quoted", async () => {
    const res = await get(`/api/v1/broadcasts/${id}/answers?format=csv`, operator);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="team-mesh-answers-${id}.csv"`);
    const lines = res.text.split("\r\n");
    expect(lines[0]).toBe("group,group_size,group_kind,handle,name,display_name,status,attempts,latency_ms,error_code,reply");
    // the three "yes ship it" variants are one group, identical after normalizing
    expect(lines.slice(1, 4).map((l) => l.split(",").slice(0, 4).join(","))).toEqual([
      "1,3,identical,t0",
      "1,3,identical,t1",
      "1,3,identical,t2",
    ]);
    // the formula is defused with an apostrophe, quotes doubled, the cell (with its newline) quoted
    expect(res.text).toContain(`2,1,identical,t3,Teammate 3,,replied,1,`);
    expect(res.text).toContain(`"'=HYPERLINK(""http://x.example/?q=1"",""click""), then\na second line"\r\n`);
    expect(res.text).not.toMatch(/,=HYPERLINK/);
    // the silent gateway: no group, no reply, its error code
    expect(res.text).toMatch(/\r\n,,,t4,Teammate 4,,\w+,1,\d*,[A-Z_]+,\r\n$/);
  });

  it("NDJSON: one JSON object per recipient, values exact", async () => {
    const res = await get(`/api/v1/broadcasts/${id}/answers?format=ndjson`, operator);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const rows = res.text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.handle, r.group, r.groupSize])).toEqual([
      ["t0", 1, 3],
      ["t1", 1, 3],
      ["t2", 1, 3],
      ["t3", 2, 1],
      ["t4", null, null],
    ]);
    expect(rows[3]).toMatchObject({ broadcastId: id, status: "replied", reply: EVIL, groupKind: "identical" });
    expect(rows[4]).toMatchObject({ reply: null, error: { code: expect.any(String) } });
  });

  it("Markdown: the same groups, counts and handles; the default format is NDJSON", async () => {
    const md = await get(`/api/v1/broadcasts/${id}/answers?format=markdown`, operator);
    expect(md.status).toBe(200);
    expect(md.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    expect(md.headers.get("content-disposition")).toContain(".md\"");
    expect(md.text).toContain(`# Answers to broadcast ${id}`);
    expect(md.text).toContain("4 answers in 2 groups; 1 without an answer.");
    expect(md.text).toContain("## 1. 3 answers: @t0, @t1, @t2");
    expect(md.text).toMatch(/- @t4: \w+/);
    const dflt = await get(`/api/v1/broadcasts/${id}/answers`, operator);
    expect(dflt.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
  });

  it("filters by status", async () => {
    const res = await get(`/api/v1/broadcasts/${id}/answers?format=ndjson&status=replied`, operator);
    const handles = res.text.trim().split("\n").map((l) => (JSON.parse(l) as { handle: string }).handle);
    expect(handles).toEqual(["t0", "t1", "t2", "t3"]);
    const none = await get(`/api/v1/broadcasts/${id}/answers?format=csv&status=cancelled`, operator);
    expect(none.text.split("\r\n").filter(Boolean)).toHaveLength(1); // the header only
  });

  it("refuses a bad format or status with 400 VALIDATION_FAILED, an unknown broadcast with 404", async () => {
    const fmt = await get(`/api/v1/broadcasts/${id}/answers?format=xlsx`, operator);
    expect(fmt.status).toBe(400);
    expect(fmt.body.error.code).toBe("VALIDATION_FAILED");
    const st = await get(`/api/v1/broadcasts/${id}/answers?status=replied,bogus`, operator);
    expect(st.status).toBe(400);
    expect(st.body.error.code).toBe("VALIDATION_FAILED");
    const missing = await get("/api/v1/broadcasts/no-such-broadcast/answers?format=csv", operator);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "BROADCAST_NOT_FOUND", message: expect.stringContaining("no-such-broadcast") });
  });

  it("needs a session or key (401); auditors (audit:read) and requesters (broadcast:create) may read it", async () => {
    const anon = await get(`/api/v1/broadcasts/${id}/answers?format=csv`);
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe("UNAUTHENTICATED");
    for (const role of ["auditor", "requester"] as const) {
      const res = await get(`/api/v1/broadcasts/${id}/answers?format=csv`, await srv.keyFor(role));
      expect(res.status).toBe(200);
      expect(res.text).toContain("t0");
    }
  });
});
