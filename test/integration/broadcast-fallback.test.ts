// The fallback webhook (MESH_FALLBACK_WEBHOOK_URL) during broadcasts, on the real server: who is
// notified (unreachable recipients after their attempt; teammates skipped for no address / no
// token once at confirm; never "me" or a recipient that was reached), `fallback:false`, the
// audit trail of every attempt, and webhook failures (500, no answer) that stay with the webhook.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-fallback-77b1";
const SECRET = "hook-secret-4f0c9a";

interface HookCall {
  method: string;
  path: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** A webhook on 127.0.0.1 that records every request and answers as `mode` says. */
async function startHook() {
  const calls: HookCall[] = [];
  const held: ServerResponse[] = [];
  const hook = {
    url: "",
    calls,
    /** "ok": 204; "fail": 500; "hang": never answers (the server's fetch gives up). */
    mode: "ok" as "ok" | "fail" | "hang",
    /** Requests seen but not answered yet. */
    hanging: () => held.filter((r) => !r.writableEnded && !r.destroyed).length,
    stop: async () => undefined as void,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { invalid: text };
      }
      calls.push({ method: req.method ?? "", path: req.url ?? "", contentType: req.headers["content-type"], body });
      if (hook.mode === "hang") {
        held.push(res);
        return;
      }
      res.statusCode = hook.mode === "fail" ? 500 : 204;
      res.end(hook.mode === "fail" ? "internal trouble" : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?secret=${SECRET}`;
  hook.stop = async () => {
    for (const r of held) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return hook;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Recipient {
  handle: string;
  status: string;
}
interface AuditEntry {
  id: number;
  kind: string;
  outcome: string;
  teammate: string | null;
  message: string | null;
  broadcastId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  completedAt: string | null;
  details: { reason?: string; email?: string | null } | null;
}

describe("fallback webhook during broadcasts", () => {
  let srv: TestServer;
  let alice: FakeGateway;
  let zoe: FakeGateway;
  let hook: Awaited<ReturnType<typeof startHook>>;
  let operator: string;
  let auditor: string;
  const texts: string[] = [];

  beforeAll(async () => {
    alice = await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` });
    zoe = await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` });
    const gone = await startFakeGateway({ token: TOKEN });
    hook = await startHook();
    srv = await startTestServer({
      env: {
        MESH_FALLBACK_WEBHOOK_URL: hook.url,
        MESH_EMAIL_DOMAIN: "example.com",
        MESH_MY_EMAIL: "me@example.com",
        // one worker: recipients go one after the other (by handle), so a webhook that holds a
        // worker would visibly delay the recipients after it
        MESH_BROADCAST_CONCURRENCY: "1",
      },
    });
    operator = await srv.keyFor("operator");
    auditor = await srv.keyFor("auditor");
    await srv.addTeammate({ handle: "alice", name: "Alice Up", gatewayUrl: alice.url, token: TOKEN });
    await srv.addTeammate({ handle: "gone", name: "Gone Stopped", gatewayUrl: gone.url, token: TOKEN });
    await gone.stop(); // its gateway is stopped: the address now refuses connections
    await srv.addTeammate({ handle: "refuse", name: "Refuse Closed", gatewayUrl: `ws://127.0.0.1:${await closedPort()}`, token: TOKEN });
    await srv.addTeammate({ handle: "zoe", name: "Zoe Up", gatewayUrl: zoe.url, token: TOKEN });
    await srv.addTeammate({ handle: "carol", name: "Carol Nowhere", gatewayUrl: null });
    await srv.addTeammate({ handle: "dave", name: "Dave Tokenless", gatewayUrl: zoe.url });
    await srv.addTeammate({ handle: "me", name: "Myself", gatewayUrl: null });
  });
  afterAll(async () => {
    await srv?.stop();
    await Promise.all([alice, zoe].map((g) => g?.stop()));
    await hook?.stop();
  });
  beforeEach(() => {
    hook.calls.length = 0;
    hook.mode = "ok";
    alice.received.length = 0;
    zoe.received.length = 0;
  });

  const api = async (method: string, path: string, body?: unknown, key = operator) => {
    const res = await srv.api(method, path, body, { key });
    texts.push(res.text);
    return res;
  };
  const statuses = (recipients: Recipient[]) => Object.fromEntries(recipients.map((r) => [r.handle, r.status]));
  const fallbackAudit = async (broadcastId: string): Promise<AuditEntry[]> => {
    const res = await api("GET", `/api/v1/audit?kind=fallback&broadcastId=${broadcastId}&limit=100`, undefined, auditor);
    expect(res.status).toBe(200);
    return (res.body.items as AuditEntry[]).sort((a, b) => (a.teammate ?? "").localeCompare(b.teammate ?? ""));
  };
  /** Create and confirm; `wait` answers once every recipient and every webhook call is done. */
  const broadcast = async (message: string, extra: Record<string, unknown> = {}, wait = true) => {
    const created = await api("POST", "/api/v1/broadcasts", { message, timeoutSec: 10, ...extra });
    expect(created.status).toBe(201);
    const confirmed = await api("POST", `/api/v1/broadcasts/${created.body.id}/confirm`, { token: created.body.confirmationToken, wait });
    expect(confirmed.status).toBe(wait ? 200 : 202);
    return confirmed.body;
  };

  it("notifies unreachable recipients and the skipped no-address / no-token teammates; never me or reached ones", async () => {
    const b = await broadcast("deploy freeze at 5");
    expect(b.state).toBe("completed");
    expect(statuses(b.recipients)).toEqual({ alice: "replied", gone: "unreachable", refuse: "unreachable", zoe: "replied" });
    expect(b.skipped.map((s: { handle: string; reason: string }) => `${s.handle}:${s.reason}`)).toEqual(["carol:no_address", "dave:no_credentials", "me:self"]);

    const byTo = [...hook.calls].sort((x, y) => String(x.body.to).localeCompare(String(y.body.to)));
    expect(byTo.map((c) => c.body)).toEqual([
      { to: "carol", email: "carol@example.com", message: "deploy freeze at 5", reason: "no_address" },
      { to: "dave", email: "dave@example.com", message: "deploy freeze at 5", reason: "no_credentials" },
      { to: "gone", email: "gone@example.com", message: "deploy freeze at 5", reason: "unreachable" },
      { to: "refuse", email: "refuse@example.com", message: "deploy freeze at 5", reason: "unreachable" },
    ]);
    for (const c of hook.calls) {
      expect(c.method).toBe("POST");
      expect(c.path).toBe(`/hook?secret=${SECRET}`);
      expect(c.contentType).toBe("application/json");
    }
    expect(alice.received).toEqual(["deploy freeze at 5"]);
    expect(zoe.received).toEqual(["deploy freeze at 5"]);

    // one `fallback` audit entry per webhook call, completed ok, tagged with the broadcast
    const entries = await fallbackAudit(b.id);
    expect(entries.map((e) => `${e.teammate}:${e.outcome}:${e.details?.reason}`)).toEqual([
      "carol:ok:no_address",
      "dave:ok:no_credentials",
      "gone:ok:unreachable",
      "refuse:ok:unreachable",
    ]);
    for (const e of entries) {
      expect(e).toMatchObject({ kind: "fallback", broadcastId: b.id, message: "deploy freeze at 5", errorCode: null });
      expect(e.details?.email).toBe(`${e.teammate}@example.com`);
      expect(e.completedAt).not.toBeNull();
    }
    const pending = await api("GET", `/api/v1/audit?broadcastId=${b.id}&outcome=pending`, undefined, auditor);
    expect(pending.body.items).toEqual([]);
  });

  it("retry notifies the still-unreachable recipients again, not the skipped teammates", async () => {
    const b = await broadcast("second try");
    hook.calls.length = 0;
    const retry = await api("POST", `/api/v1/broadcasts/${b.id}/retry?wait=true`);
    expect(retry.status).toBe(200);
    expect(statuses(retry.body.recipients)).toEqual({ alice: "replied", gone: "unreachable", refuse: "unreachable", zoe: "replied" });
    expect(hook.calls.map((c) => `${String(c.body.to)}:${String(c.body.reason)}`).sort()).toEqual(["gone:unreachable", "refuse:unreachable"]);
    expect((await fallbackAudit(b.id)).map((e) => e.teammate)).toEqual(["carol", "dave", "gone", "gone", "refuse", "refuse"]);
  });

  it("fallback:false sends no webhook call at all and records no fallback entry", async () => {
    const b = await broadcast("quiet one", { fallback: false });
    expect(statuses(b.recipients)).toEqual({ alice: "replied", gone: "unreachable", refuse: "unreachable", zoe: "replied" });
    expect(hook.calls).toEqual([]);
    expect(await fallbackAudit(b.id)).toEqual([]);
  });

  it("a webhook answering 500 is recorded as failed per attempt; the recipients are unaffected", async () => {
    hook.mode = "fail";
    const b = await broadcast("webhook is down");
    expect(b.state).toBe("completed");
    expect(statuses(b.recipients)).toEqual({ alice: "replied", gone: "unreachable", refuse: "unreachable", zoe: "replied" });
    expect(hook.calls).toHaveLength(4);
    const entries = await fallbackAudit(b.id);
    expect(entries.map((e) => `${e.teammate}:${e.outcome}`)).toEqual(["carol:failed", "dave:failed", "gone:failed", "refuse:failed"]);
    for (const e of entries) expect(e).toMatchObject({ errorCode: "FALLBACK_FAILED", errorMessage: "webhook answered HTTP 500" });
    // the failure is the webhook's, not the recipients': nothing to retry for reached ones
    const sendAudit = await api("GET", `/api/v1/audit?kind=send&broadcastId=${b.id}`, undefined, auditor);
    expect(sendAudit.body.items.map((e: AuditEntry) => `${e.teammate}:${e.outcome}`).sort()).toEqual([
      "alice:replied",
      "gone:unreachable",
      "refuse:unreachable",
      "zoe:replied",
    ]);
  });

  it("a webhook that never answers is recorded as failed after its timeout and holds up no other recipient", { timeout: 60_000 }, async () => {
    hook.mode = "hang";
    const b = await broadcast("webhook hangs", {}, false);
    const done = await until(
      () => api("GET", `/api/v1/broadcasts/${b.id}`),
      (r) => r.body.state === "completed",
      45_000,
      250,
    );
    expect(statuses(done.body.recipients)).toEqual({ alice: "replied", gone: "unreachable", refuse: "unreachable", zoe: "replied" });
    expect(hook.calls).toHaveLength(4);
    const entries = await fallbackAudit(b.id);
    expect(entries.map((e) => `${e.teammate}:${e.outcome}`)).toEqual(["carol:failed", "dave:failed", "gone:failed", "refuse:failed"]);
    for (const e of entries) expect(e).toMatchObject({ errorCode: "FALLBACK_FAILED", errorMessage: "webhook did not answer within 10000 ms" });
    // One worker, recipients in handle order: "gone" was tried before "zoe". Zoe was reached
    // while gone's webhook call still hung (it gave up only after 10 s), not after it.
    const goneGaveUp = Date.parse(entries.find((e) => e.teammate === "gone")?.completedAt ?? "");
    const zoeDone = Date.parse(done.body.recipients.find((r: Recipient & { updatedAt: string }) => r.handle === "zoe").updatedAt);
    expect(zoeDone).toBeLessThan(goneGaveUp);
    expect(zoe.received).toEqual(["webhook hangs"]);
  });

  it("the webhook URL (and its secret) is never in an answer, an audit entry or the log", async () => {
    const all = await api("GET", "/api/v1/audit?limit=500", undefined, auditor);
    expect(all.text).not.toContain(SECRET);
    expect(all.text).not.toContain(hook.url);
    const cfg = await api("GET", "/api/v1/config");
    expect(cfg.body.fallbackConfigured).toBe(true);
    for (const t of texts) expect(t).not.toContain(SECRET);
    expect(srv.output()).not.toContain(SECRET);
    expect(srv.output()).not.toContain(TOKEN);
  });
});
