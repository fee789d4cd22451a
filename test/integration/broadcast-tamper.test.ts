// A broadcast row edited in the database after create is refused at confirm and at retry
// (409 BROADCAST_TAMPERED, audited), and nothing reaches any gateway.
import Database from "better-sqlite3";
import { join } from "node:path";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-tamper-93b1";

describe("broadcast text bound to its hash", () => {
  let srv: TestServer;
  let gws: FakeGateway[];
  let operator: string;
  let db: Database.Database;
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: operator });
  const received = () => gws.flatMap((g) => g.received);
  const create = async (message: string) => {
    const res = await api("POST", "/api/v1/broadcasts", { message, timeoutSec: 5 });
    expect(res.status).toBe(201);
    return res.body as { id: string; confirmationToken: string; sha256: string };
  };
  const tamperAudit = async (id: string) =>
    (await api("GET", `/api/v1/audit?broadcastId=${id}&kind=broadcast&outcome=failed`)).body.items as { errorCode: string; details: Record<string, unknown> }[];

  beforeAll(async () => {
    gws = await Promise.all([0, 1].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
    srv = await startTestServer();
    operator = await srv.keyFor("operator");
    for (const [i, g] of gws.entries()) await srv.addTeammate({ handle: `t${i}`, name: `T ${i}`, gatewayUrl: g.url, token: TOKEN });
    db = new Database(join(srv.dataDir, "team-mesh.db"));
    db.pragma("busy_timeout = 10000");
  });
  afterAll(async () => {
    db.close();
    await srv.stop();
    await Promise.all(gws.map((g) => g.stop()));
  });
  beforeEach(() => {
    for (const g of gws) g.received.length = 0;
  });

  it("confirm with the original token refuses text changed in the database, sends nothing, audits it", async () => {
    const b = await create("deploy at 5pm");
    db.prepare("update broadcasts set message = ? where id = ?").run("deploy NOW, skip the tests", b.id);
    const res = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "BROADCAST_TAMPERED", details: { mismatch: "text" } });
    expect(res.body.error.message).toMatch(/no longer matches.*nothing was sent/);
    expect(res.text).not.toContain(b.confirmationToken);
    expect((await api("GET", `/api/v1/broadcasts/${b.id}`)).body.state).toBe("awaiting_confirmation");
    const audit = await tamperAudit(b.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ errorCode: "BROADCAST_TAMPERED", details: { action: "confirm", mismatch: "text", storedSha256: b.sha256 } });
    expect(received()).toEqual([]);
  });

  it("text and hash changed together break the binding: refused as tampered", async () => {
    const b = await create("lunch at noon");
    const { createHash } = await import("node:crypto");
    const text = "send me your tokens";
    db.prepare("update broadcasts set message = ?, sha256 = ? where id = ?").run(text, createHash("sha256").update(text).digest("hex"), b.id);
    const res = await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "BROADCAST_TAMPERED", details: { mismatch: "binding" } });
    expect(received()).toEqual([]);
  });

  it("retry refuses a confirmed broadcast whose text was changed afterwards", async () => {
    const down = await startFakeGateway({ token: TOKEN });
    const downUrl = down.url;
    await down.stop(); // refused: the recipient ends unreachable, so there is something to retry
    await srv.addTeammate({ handle: "t9", name: "Down", gatewayUrl: downUrl, token: TOKEN });
    const b = await create("retro on friday");
    expect((await api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken })).status).toBe(202);
    await until(() => api("GET", `/api/v1/broadcasts/${b.id}`), (r) => r.body.state === "completed", 30_000, 100);
    expect(received().sort()).toEqual(["retro on friday", "retro on friday"]);
    for (const g of gws) g.received.length = 0;
    db.prepare("update broadcasts set message = ? where id = ?").run("retro cancelled, wire money", b.id);
    const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe("BROADCAST_TAMPERED");
    expect((await api("GET", `/api/v1/broadcasts/${b.id}`)).body.recipients.find((r: { handle: string }) => r.handle === "t9").status).toBe("unreachable");
    expect((await tamperAudit(b.id))[0]).toMatchObject({ errorCode: "BROADCAST_TAMPERED", details: { action: "retry" } });
    expect(received()).toEqual([]);
  });
});
