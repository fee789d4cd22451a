// WebSocket /api/v1/events: authentication, the events a client sees, and closing (4401) when
// the connection's credential stops being valid.
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import WebSocket from "ws";
import { EVENTS_CLOSE, type MeshEvent } from "../../shared/api/events.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { runProcess } from "../support/run-process.ts";
import { REPO_ROOT, startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-events-19af";

function connect(srv: TestServer, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; events: MeshEvent[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${srv.url.replace("http", "ws")}/api/v1/events`, { headers });
    const events: MeshEvent[] = [];
    ws.on("message", (d) => events.push(JSON.parse(String(d)) as MeshEvent));
    ws.once("open", () => resolve({ ws, events }));
    ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once("error", reject);
  });
}

describe("events WebSocket", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let operatorKey: string;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer();
    operatorKey = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("rejects unauthenticated and badly authenticated upgrades with 401", async () => {
    await expect(connect(srv)).rejects.toMatchObject({ status: 401 });
    await expect(connect(srv, { Authorization: "Bearer not-a-key" })).rejects.toMatchObject({ status: 401 });
    await expect(connect(srv, { Cookie: "mesh_session=forged" })).rejects.toMatchObject({ status: 401 });
  });

  it("an upgrade with a Host header that is no host answers 400 (no unhandled rejection, no socket left hanging)", async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = netConnect(srv.port, "127.0.0.1", () => {
        sock.write(
          "GET /api/v1/events HTTP/1.1\r\nHost: a b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Authorization: Bearer ${operatorKey}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let text = "";
      sock.on("data", (d) => (text += String(d)));
      sock.on("close", () => resolve(text));
      sock.on("error", reject);
      setTimeout(() => {
        sock.destroy();
        resolve(`(no answer within 3 s) ${text}`);
      }, 3_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"VALIDATION_FAILED"');
    // the endpoint still works
    const ok = await connect(srv, { Authorization: `Bearer ${operatorKey}` });
    ok.ws.close();
  });

  it("rejects a cross-site Origin with 403", async () => {
    const cookie = await srv.login();
    await expect(connect(srv, { Cookie: cookie, Origin: "https://evil.example" })).rejects.toMatchObject({ status: 403 });
    const ok = await connect(srv, { Cookie: cookie, Origin: srv.url });
    ok.ws.close();
  });

  it("streams hello, teammate.status, message.updated, broadcast and audit events", async () => {
    const { ws, events } = await connect(srv, { Authorization: `Bearer ${operatorKey}` });
    try {
      await until(() => events.length, (n) => n >= 1);
      expect(events[0]?.type).toBe("hello");
      await srv.api("POST", "/api/v1/ping", { to: "bob" }, { key: operatorKey });
      const send = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "evented" }, { key: operatorKey });
      const b = await srv.api("POST", "/api/v1/broadcasts", { message: "to all" }, { key: operatorKey });
      await srv.api("POST", `/api/v1/broadcasts/${b.body.id}/confirm`, { token: b.body.confirmationToken, wait: true }, { key: operatorKey });
      await until(
        () => events.map((e) => e.type),
        (types) => ["teammate.status", "message.updated", "broadcast.updated", "broadcast.recipient", "audit.appended"].every((t) => types.includes(t as never)),
      );
      const status = events.find((e) => e.type === "teammate.status");
      expect(status).toMatchObject({ handle: "bob", status: { state: "online" } });
      const delta = events.find((e) => e.type === "message.delta" && e.id === send.body.id);
      expect(delta).toMatchObject({ round: 1, text: expect.any(String) });
      const finalMsg = events.filter((e) => e.type === "message.updated" && e.message.id === send.body.id).at(-1);
      expect(finalMsg).toMatchObject({ message: { status: "replied" } });
      const recipient = events.filter((e) => e.type === "broadcast.recipient").at(-1);
      expect(recipient).toMatchObject({ id: b.body.id, recipient: { handle: "bob", status: "replied" } });
      // pending before final, for the send
      const auditOutcomes = events.flatMap((e) => (e.type === "audit.appended" && e.entry.kind === "send" ? [e.entry.outcome] : []));
      expect(auditOutcomes[0]).toBe("pending");
      // no confirmation token travels on the event stream
      for (const e of events) if (e.type === "broadcast.updated") expect(e.broadcast.confirmationToken).toBeNull();
      expect(JSON.stringify(events)).not.toContain(TOKEN);
    } finally {
      ws.close();
    }
  });

  it("audit events only for callers with audit:read", async () => {
    const requesterKey = await srv.keyFor("requester");
    const { ws, events } = await connect(srv, { Authorization: `Bearer ${requesterKey}` });
    try {
      await srv.api("POST", "/api/v1/messages", { to: "bob", message: "quiet" }, { key: requesterKey });
      await until(() => events.some((e) => e.type === "message.updated" && e.message.status === "replied"), Boolean);
      expect(events.some((e) => e.type === "audit.appended")).toBe(false);
    } finally {
      ws.close();
    }
  });
});

interface Live {
  ws: WebSocket;
  events: MeshEvent[];
  /** Resolves with the close code and reason once the server (or anyone) closed the socket. */
  closed: Promise<{ code: number; reason: string }>;
  isOpen(): boolean;
}

async function live(srv: TestServer, headers: Record<string, string>): Promise<Live> {
  const { ws, events } = await connect(srv, headers);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, events, closed, isOpen: () => ws.readyState === WebSocket.OPEN };
}

/** Resolves with the close, or fails after `ms` (generous: a missing close must not hang the run). */
function closedWithin(l: Live, ms = 10_000): Promise<{ code: number; reason: string }> {
  return Promise.race([
    l.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms).unref()),
  ]);
}

describe("events WebSocket: closed when its credential stops being valid", () => {
  let srv: TestServer;
  let admin: string;
  const sockets: Live[] = [];
  const open = async (headers: Record<string, string>) => {
    const l = await live(srv, headers);
    sockets.push(l);
    await until(() => l.events.length, (n) => n >= 1); // hello
    return l;
  };
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  /** The survivor still gets events: publish one (a teammate change) and wait for it. */
  const stillServed = async (l: Live) => {
    const before = l.events.length;
    const handle = `probe-${Math.random().toString(36).slice(2, 8)}`;
    await srv.addTeammate({ handle, name: handle, gatewayUrl: null });
    await until(() => l.events.slice(before).some((e) => e.type === "teammates.changed"), Boolean);
    expect(l.isOpen()).toBe(true);
  };
  const newUser = async (username: string, role = "operator") => {
    const res = await srv.api("POST", "/api/v1/users", { username, password: `${username} password 1`, role }, { key: admin });
    expect(res.status).toBe(201);
    return srv.login(username, `${username} password 1`);
  };

  beforeAll(async () => {
    // The periodic re-check is set far out: only the revocation signal can close these sockets in time.
    srv = await startTestServer({ startOptions: { credentialRecheckMs: 3_600_000 } });
    admin = await srv.adminKey();
  });
  afterAll(async () => {
    for (const l of sockets) l.ws.terminate();
    await srv.stop();
  });

  it("revoking the API key closes its socket with 4401; another key's socket stays; the key cannot reconnect", async () => {
    const created = await srv.api("POST", "/api/v1/api-keys", { name: "dashboard-bot", role: "operator" }, { key: admin });
    const other = await srv.api("POST", "/api/v1/api-keys", { name: "other-bot", role: "operator" }, { key: admin });
    const doomed = await open(bearer(created.body.key));
    const survivor = await open(bearer(other.body.key));
    const del = await srv.api("DELETE", `/api/v1/api-keys/${created.body.id}`, undefined, { key: admin });
    expect(del.status).toBe(204);
    const closed = await closedWithin(doomed);
    expect(closed.code).toBe(EVENTS_CLOSE.CREDENTIAL_INVALID);
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/revoked or expired/);
    await expect(connect(srv, bearer(created.body.key))).rejects.toMatchObject({ status: 401 });
    await stillServed(survivor);
  });

  it("signing out closes that session's socket; the same user's other session keeps its socket", async () => {
    const first = await newUser("sam");
    const second = await srv.login("sam", "sam password 1");
    const a = await open({ Cookie: first });
    const b = await open({ Cookie: second });
    const out = await srv.api("POST", "/api/v1/auth/logout", undefined, { cookie: first });
    expect(out.status).toBe(204);
    expect((await closedWithin(a)).code).toBe(4401);
    await stillServed(b);
    await expect(connect(srv, { Cookie: first })).rejects.toMatchObject({ status: 401 });
  });

  it("disabling the user closes all of their sockets (cookie sessions); other users are untouched", async () => {
    const cookie = await newUser("dina");
    const again = await srv.login("dina", "dina password 1");
    const bystander = await open({ Cookie: await newUser("bea") });
    const a = await open({ Cookie: cookie });
    const b = await open({ Cookie: again });
    const res = await srv.api("PATCH", "/api/v1/users/dina", { disabled: true }, { key: admin });
    expect(res.status).toBe(200);
    expect((await closedWithin(a)).code).toBe(4401);
    expect((await closedWithin(b)).code).toBe(4401);
    await stillServed(bystander);
  });

  it("deleting the user closes their socket", async () => {
    const s = await open({ Cookie: await newUser("del") });
    expect((await srv.api("DELETE", "/api/v1/users/del", undefined, { key: admin })).status).toBe(204);
    expect((await closedWithin(s)).code).toBe(4401);
  });

  it("a role change ends the sessions, and so the socket (it was filtering events by the old role)", async () => {
    const s = await open({ Cookie: await newUser("rolf", "auditor") });
    expect((await srv.api("PATCH", "/api/v1/users/rolf", { role: "requester" }, { key: admin })).status).toBe(200);
    expect((await closedWithin(s)).code).toBe(4401);
  });

  it("an update that keeps the sessions (no password, role or disabled change) keeps the socket", async () => {
    const s = await open({ Cookie: await newUser("kept", "operator") });
    expect((await srv.api("PATCH", "/api/v1/users/kept", { role: "operator", disabled: false }, { key: admin })).status).toBe(200);
    await stillServed(s);
  });
});

describe("events WebSocket: the periodic re-check catches what no signal reports", () => {
  let srv: TestServer;
  let operator: string;
  beforeAll(async () => {
    srv = await startTestServer({ startOptions: { credentialRecheckMs: 250 } });
    operator = await srv.keyFor("operator"); // before the admin password is reset below
  });
  afterAll(async () => {
    await srv.stop();
  });

  it("an API key that expires while its socket is open", async () => {
    const admin = await srv.adminKey();
    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const created = await srv.api("POST", "/api/v1/api-keys", { name: "short-lived", role: "auditor", expiresAt }, { key: admin });
    expect(created.status).toBe(201);
    const l = await live(srv, { Authorization: `Bearer ${created.body.key}` });
    const closed = await closedWithin(l, 20_000);
    expect(closed.code).toBe(4401);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
  });

  it("sessions ended by `team-mesh admin reset-password` (another process)", async () => {
    const cookie = await srv.login();
    const l = await live(srv, { Cookie: cookie });
    const { code } = await runProcess(process.execPath, [join(REPO_ROOT, "bin/team-mesh.mjs"), "admin", "reset-password", "admin", "--password-stdin"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MESH_DATA_DIR: srv.dataDir },
      input: "a-new-admin-password-77\n",
    });
    expect(code).toBe(0);
    expect((await closedWithin(l, 20_000)).code).toBe(4401);
  });

  it("a socket whose credential stays valid is kept across re-checks", async () => {
    const l = await live(srv, { Authorization: `Bearer ${operator}` });
    try {
      await new Promise((r) => setTimeout(r, 1_000)); // several re-check rounds
      expect(l.isOpen()).toBe(true);
    } finally {
      l.ws.close();
    }
  });
});
