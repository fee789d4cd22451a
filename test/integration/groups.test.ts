// Teammate tags (groups): validation, filtering, and broadcasts to a group resolved to exact recipients.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-groups-81c2";
type Named = { handle: string };
const handles = (xs: Named[]) => xs.map((x) => x.handle);

describe("teammate tags and group broadcasts", () => {
  let srv: TestServer;
  let gws: FakeGateway[];
  let operator: string;
  let admin: string;
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: operator });
  /** Registry changes and the audit trail need an admin. */
  const asAdmin = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: admin });

  beforeAll(async () => {
    gws = await Promise.all([0, 1, 2].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "me@example.com" } });
    operator = await srv.keyFor("operator");
    admin = await srv.keyFor("admin");
    await srv.addTeammate({ handle: "me", gatewayUrl: gws[0]!.url, token: TOKEN, tags: ["backend"] });
    await srv.addTeammate({ handle: "ann", gatewayUrl: gws[0]!.url, token: TOKEN, tags: ["@Backend", "oncall", "backend"] });
    await srv.addTeammate({ handle: "bob", gatewayUrl: gws[1]!.url, token: TOKEN, tags: ["frontend"] });
    await srv.addTeammate({ handle: "cid", gatewayUrl: gws[2]!.url, tags: ["backend"] }); // no token
    await srv.addTeammate({ handle: "dee", gatewayUrl: gws[2]!.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await Promise.all(gws.map((g) => g.stop()));
  });

  it("stores tags normalised (no @, lower-case, distinct, sorted) and filters the list by tag", async () => {
    const ann = await api("GET", "/api/v1/teammates/ann");
    expect(ann.body.tags).toEqual(["backend", "oncall"]);
    const backend = await api("GET", "/api/v1/teammates?tag=backend");
    expect(backend.status).toBe(200);
    expect(handles(backend.body.items)).toEqual(["ann", "cid", "me"]);
    expect(handles((await api("GET", "/api/v1/teammates?tag=@ONCALL")).body.items)).toEqual(["ann"]);
    expect((await api("GET", "/api/v1/teammates?tag=nobody")).body.items).toEqual([]);
    expect((await api("GET", "/api/v1/teammates")).body.items).toHaveLength(5);
  });

  it("refuses bad tag names with 400 VALIDATION_FAILED, in create, update and the list filter", async () => {
    const bad = await asAdmin("POST", "/api/v1/teammates", { handle: "eve", name: "Eve", tags: ["has space"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    expect(bad.text).toContain("tag:");
    const tooMany = await asAdmin("PATCH", "/api/v1/teammates/bob", { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe("VALIDATION_FAILED");
    const filter = await api("GET", "/api/v1/teammates?tag=-x");
    expect(filter.status).toBe(400);
    expect(filter.body.error.code).toBe("VALIDATION_FAILED");
    expect((await api("GET", "/api/v1/teammates/eve")).status).toBe(404);
  });

  it("update sets and clears tags, audited with before and after", async () => {
    const set = await asAdmin("PATCH", "/api/v1/teammates/dee", { tags: ["qa", "frontend"] });
    expect(set.status).toBe(200);
    expect(set.body.tags).toEqual(["frontend", "qa"]);
    const audit = await asAdmin("GET", "/api/v1/audit?kind=registry&limit=5");
    expect(audit.body.items[0].details).toMatchObject({ action: "update", changed: ["tags"], tagsBefore: [], tagsAfter: ["frontend", "qa"] });
    const cleared = await asAdmin("PATCH", "/api/v1/teammates/dee", { tags: [] });
    expect(cleared.body.tags).toEqual([]);
    const untouched = await asAdmin("PATCH", "/api/v1/teammates/ann", { note: "keeps tags" });
    expect(untouched.body.tags).toEqual(["backend", "oncall"]);
  });

  it("a group broadcast lists exactly the group's recipients; the token binds them; only they receive it", async () => {
    const preview = await api("POST", "/api/v1/broadcasts", { message: "deploy freeze", group: "@backend", dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body.group).toEqual(["backend"]);
    expect(handles(preview.body.recipients)).toEqual(["ann"]);
    expect(preview.body.skipped.map((s: { handle: string; reason: string }) => `${s.handle}:${s.reason}`)).toEqual(["cid:no_credentials", "me:self"]);

    const created = await api("POST", "/api/v1/broadcasts", { message: "deploy freeze", group: "backend", timeoutSec: 3 });
    expect(created.status).toBe(201);
    expect(created.body.group).toEqual(["backend"]);
    expect(handles(created.body.recipients)).toEqual(["ann"]);
    // a teammate tagged after creation is not added: the recipients were frozen at create time
    await asAdmin("PATCH", "/api/v1/teammates/bob", { tags: ["backend", "frontend"] });
    const ok = await api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken });
    expect(ok.status).toBe(202);
    const done = await until(() => api("GET", `/api/v1/broadcasts/${created.body.id}`), (r) => r.body.state === "completed", 20_000, 100);
    expect(done.body.recipients.map((r: { handle: string; status: string }) => `${r.handle}:${r.status}`)).toEqual(["ann:replied"]);
    expect(gws[1]!.received).toEqual([]);
    const audit = await asAdmin("GET", `/api/v1/audit?broadcastId=${created.body.id}&kind=broadcast`);
    expect(audit.body.items.find((e: { details: { action: string } }) => e.details.action === "created").details).toMatchObject({ group: ["backend"], recipients: ["ann"] });
    await asAdmin("PATCH", "/api/v1/teammates/bob", { tags: ["frontend"] });
  });

  it("tags: the union of several groups; an empty group is 409 NO_RECIPIENTS naming the tag", async () => {
    const both = await api("POST", "/api/v1/broadcasts", { message: "all hands", tags: ["backend", "frontend"], dryRun: true });
    expect(handles(both.body.recipients)).toEqual(["ann", "bob"]);
    expect(both.body.group).toEqual(["backend", "frontend"]);
    const none = await api("POST", "/api/v1/broadcasts", { message: "anyone?", group: "ghosts" });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe("NO_RECIPIENTS");
    expect(none.body.error.message).toContain("no teammate is tagged @ghosts");
    const bad = await api("POST", "/api/v1/broadcasts", { message: "x", group: "Not A Tag" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    const everyone = await api("POST", "/api/v1/broadcasts", { message: "all", dryRun: true });
    expect(everyone.body.group).toBeNull();
    expect(handles(everyone.body.recipients)).toEqual(["ann", "bob", "dee"]);
  });
});
