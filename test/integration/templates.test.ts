// Message templates: CRUD, validation, filling for one teammate, and the broadcast restriction.
import { startTestServer, type TestServer } from "../support/server.ts";

describe("message templates", () => {
  let srv: TestServer;
  let operator: string;
  let requester: string;
  let admin: string;
  const api = (method: string, path: string, body?: unknown, key = operator) => srv.api(method, path, body, { key });

  beforeAll(async () => {
    srv = await startTestServer();
    operator = await srv.keyFor("operator");
    requester = await srv.keyFor("requester");
    admin = await srv.adminKey();
    await srv.addTeammate({ handle: "ann", name: "Ann Lee", displayName: "Annie", gatewayUrl: null });
    await srv.addTeammate({ handle: "bob", name: "Bob Stone", gatewayUrl: null });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it("creates, lists, edits and deletes; names are unique; changes are audited", async () => {
    const created = await api("POST", "/api/v1/templates", { name: "standup", body: "Hi {{ display_name }}, status of {{project}} by {{when}}? {{project}}" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "standup", variables: ["display_name", "project", "when"], broadcastable: false, createdBy: { kind: "api_key", role: "operator" } });
    const dup = await api("POST", "/api/v1/templates", { name: "standup", body: "x" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("TEMPLATE_NAME_TAKEN");
    const other = await api("POST", "/api/v1/templates", { name: "release", body: "Release {{version}} is out" });
    expect(other.body.broadcastable).toBe(true);
    const list = await api("GET", "/api/v1/templates", undefined, requester);
    expect(list.status).toBe(200);
    expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(["release", "standup"]);
    const renamed = await api("PATCH", `/api/v1/templates/${other.body.id}`, { name: "standup" });
    expect(renamed.body.error.code).toBe("TEMPLATE_NAME_TAKEN");
    const edited = await api("PATCH", `/api/v1/templates/${other.body.id}`, { body: "Release {{version}} is out, {{name}}" });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: "release", variables: ["version", "name"], broadcastable: false });
    expect((await api("DELETE", `/api/v1/templates/${other.body.id}`)).status).toBe(204);
    const gone = await api("GET", `/api/v1/templates/${other.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("TEMPLATE_NOT_FOUND");
    const audit = await srv.api("GET", "/api/v1/audit?kind=settings&limit=10", undefined, { key: admin });
    expect(audit.body.items.map((e: { details: { action: string } }) => e.details.action)).toEqual(expect.arrayContaining(["template.create", "template.update", "template.delete"]));
  });

  it("refuses bad input with codes, never a 500", async () => {
    const malformed = await api("POST", "/api/v1/templates", { name: "bad", body: "Hello {{ Not Valid }}" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("TEMPLATE_INVALID");
    expect(malformed.body.error.message).toContain("{{ Not Valid }}");
    const empty = await api("POST", "/api/v1/templates", { name: " ", body: "" });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe("VALIDATION_FAILED");
    expect((await api("GET", "/api/v1/templates/abc")).body.error.code).toBe("VALIDATION_FAILED");
    expect((await api("GET", "/api/v1/templates")).status).toBe(200);
    // a requester reads and fills but does not edit
    const denied = await api("POST", "/api/v1/templates", { name: "mine", body: "x" }, requester);
    expect(denied.status).toBe(403);
    expect((await srv.api("GET", "/api/v1/templates", undefined, { key: await srv.keyFor("auditor") })).status).toBe(403);
  });

  it("fills for one teammate: name, display_name (name when unset), handle and custom values", async () => {
    const t = (await api("POST", "/api/v1/templates", { name: "hello", body: "Hi {{display_name}} ({{name}}, @{{handle}}): {{topic}}" })).body;
    const ann = await api("POST", `/api/v1/templates/${t.id}/render`, { to: "ann", vars: { topic: "lunch" } }, requester);
    expect(ann.status).toBe(200);
    expect(ann.body).toEqual({ message: "Hi Annie (Ann Lee, @ann): lunch", templateId: t.id, to: "ann" });
    const bob = await api("POST", `/api/v1/templates/${t.id}/render`, { to: "Bob Stone", vars: { topic: "x" } });
    expect(bob.body.message).toBe("Hi Bob Stone (Bob Stone, @bob): x");
    const missing = await api("POST", `/api/v1/templates/${t.id}/render`, { to: "ann" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "TEMPLATE_VARIABLE_MISSING", details: { missing: ["topic"] } });
    const reserved = await api("POST", `/api/v1/templates/${t.id}/render`, { to: "ann", vars: { topic: "x", name: "Mallory" } });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.code).toBe("VALIDATION_FAILED");
    const nobody = await api("POST", `/api/v1/templates/${t.id}/render`, { to: "zed", vars: { topic: "x" } });
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.code).toBe("TEAMMATE_NOT_FOUND");
  });

  it("for a broadcast (no `to`): custom variables only; recipient variables are refused, naming them", async () => {
    const per = (await api("POST", "/api/v1/templates", { name: "per-recipient", body: "Hi {{name}}, {{msg}}" })).body;
    const refused = await api("POST", `/api/v1/templates/${per.id}/render`, { vars: { msg: "x" } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "TEMPLATE_RECIPIENT_VARIABLE", details: { variables: ["name"] } });
    expect(refused.body.error.message).toContain("one confirmed text");
    const shared = (await api("POST", "/api/v1/templates", { name: "freeze", body: "Deploy freeze from {{start}}" })).body;
    const ok = await api("POST", `/api/v1/templates/${shared.id}/render`, { vars: { start: "17:00" } });
    expect(ok.body).toEqual({ message: "Deploy freeze from 17:00", templateId: shared.id, to: null });
  });
});
