// Fault suite for broadcasts against the real server process (issue 8, "Suites the project
// keeps"): one fake gateway per fault kind plus healthy ones, the server as a child process on its
// own SQLite file.
//   1. confirm + two retries of the failed recipients, no crash;
//   2. kill -9 of the server while the broadcast is sending, restart on the same database, retry.
// Each time: every recipient ends with a final recorded status (no audit entry left pending),
// no gateway got a recipient's message twice (two chat.send frames with different idempotency
// keys, or one key accepted twice as a new run), and GET /audit/verify says ok.
// No sleeps: every wait is on a condition, with bounds generous for a loaded 2-core machine.
import { createServer } from "node:net";
import { FINAL_STATUSES } from "../../shared/api/enums.ts";
import { startFakeGateway, type FakeGateway, type StartFakeGatewayOptions } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-crash-suite-7a1f";
const SLOW_MS = 5000;

interface RecipientOut {
  handle: string;
  status: string;
  attempts: number;
  runId: string | null;
  replyFullBytes: number | null;
  error: { code: string } | null;
}

/** A loopback port nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("broadcast fault suite (real server process, kill -9)", () => {
  let srv: TestServer;
  let operator: string;
  // handle → its fake gateway (null: connection refused). Handles sort the slow ones first: with
  // concurrency 2 they hold both workers, so the crash finds them sent and the others queued.
  const gateways = new Map<string, FakeGateway | null>();
  const started: FakeGateway[] = [];

  beforeAll(async () => {
    const kinds: [string, Omit<StartFakeGatewayOptions, "token"> | null][] = [
      ["a-slow-1", { replyDelayMs: SLOW_MS }],
      ["a-slow-2", { replyDelayMs: SLOW_MS }],
      ["b-refuse", null],
      ["c-hang", { faults: { hangChatSend: true } }],
      ["d-garbage", { faults: { garbage: "requests" } }],
      ["e-close-before-answer", { faults: { closeBeforeAnswer: true } }],
      ["f-close-after-answer", { faults: { closeAfterAnswer: true } }],
      ["g-close-mid-run", { faults: { closeMidRun: true } }],
      ["h-huge-reply", { reply: () => "z".repeat(2 * 1024 * 1024) }],
      ["i-healthy-1", {}],
      ["i-healthy-2", {}],
      ["i-healthy-3", {}],
      ["i-healthy-4", {}],
    ];
    for (const [handle, o] of kinds) {
      const gw = o ? await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}`, ...o }) : null;
      if (gw) started.push(gw);
      gateways.set(handle, gw);
    }
    srv = await startTestServer({ child: true, env: { MESH_BROADCAST_CONCURRENCY: "16", MESH_SHUTDOWN_GRACE_SEC: "1" } });
    operator = await srv.keyFor("operator");
    const refused = `ws://127.0.0.1:${await closedPort()}`;
    for (const [handle, gw] of gateways) await srv.addTeammate({ handle, name: handle, gatewayUrl: gw ? gw.url : refused, token: TOKEN });
  }, 60_000);

  afterAll(async () => {
    await srv?.stop();
    await Promise.all(started.map((g) => g.stop()));
  });

  const api = async (method: string, path: string, body?: unknown) => srv.api(method, path, body, { key: operator });

  async function createBroadcast(message: string, timeoutSec: number): Promise<{ id: string; token: string }> {
    const b = await api("POST", "/api/v1/broadcasts", { message, timeoutSec });
    expect(b.status).toBe(201);
    expect(b.body.recipients.map((r: { handle: string }) => r.handle)).toEqual([...gateways.keys()]);
    return { id: b.body.id, token: b.body.confirmationToken };
  }

  const settled = (id: string) =>
    until(
      () => api("GET", `/api/v1/broadcasts/${id}`),
      (r) => r.body.state === "completed",
      45_000,
      100,
    ).then((r) => r.body.recipients as RecipientOut[]);

  /** chat.send frames of this message, per handle. */
  const framesOf = (message: string) =>
    Object.fromEntries([...gateways].map(([h, gw]) => [h, (gw?.chatSends ?? []).filter((f) => f.message === message)]));

  async function assertSound(id: string, message: string, recipients: RecipientOut[]): Promise<void> {
    // every recipient has a final recorded status, and no audit entry of the broadcast is pending
    for (const r of recipients) expect(FINAL_STATUSES, `${r.handle}: ${r.status}`).toContain(r.status);
    const pending = await api("GET", `/api/v1/audit?broadcastId=${id}&outcome=pending&limit=100`);
    expect(pending.body.items).toEqual([]);
    // 0 double deliveries: per gateway, at most one idempotency key for this broadcast, accepted at most once
    for (const [handle, frames] of Object.entries(framesOf(message))) {
      const keys = new Set(frames.map((f) => f.key));
      expect(keys.size, `${handle} got chat.send under ${keys.size} keys: ${[...keys].join(", ")}`).toBeLessThanOrEqual(1);
      expect(frames.filter((f) => f.accepted).length, `${handle} accepted the message more than once`).toBeLessThanOrEqual(1);
    }
    const verify = await api("GET", "/api/v1/audit/verify");
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  }

  it("fan-out to every fault kind, then two retries: all final, 0 double deliveries, audit verifies", { timeout: 90_000 }, async () => {
    const message = "fault suite: no crash";
    const { id, token } = await createBroadcast(message, 3);
    expect((await api("POST", `/api/v1/broadcasts/${id}/confirm`, { token })).status).toBe(202);
    let recipients = await settled(id);
    const by = (h: string) => recipients.find((r) => r.handle === h) as RecipientOut;
    for (const h of ["i-healthy-1", "i-healthy-2", "i-healthy-3", "i-healthy-4"]) expect(by(h).status).toBe("replied");
    expect(by("b-refuse").status).toBe("unreachable");
    expect(by("h-huge-reply")).toMatchObject({ status: "replied", replyFullBytes: 2 * 1024 * 1024 });
    expect(by("a-slow-1").status).toBe("timeout");
    await assertSound(id, message, recipients);

    recipients = await retrySoundly(id, message, 2);
    // healthy ones were sent once; failed ones were attempted three times, refused ones included
    for (const h of ["i-healthy-1", "i-healthy-2", "i-healthy-3", "i-healthy-4", "h-huge-reply"]) expect(by(h).attempts).toBe(1);
    expect(by("b-refuse").attempts).toBe(3);
    expect(by("c-hang").attempts).toBe(3);
    // the slow run's reply was picked up under its first key
    expect(by("a-slow-1").status).toBe("replied");
    expect(by("e-close-before-answer").status).toBe("replied");
    expect(by("f-close-after-answer").status).toBe("replied");
  });

  /** Retries the failed recipients `times` times, checking after each that all is sound. */
  async function retrySoundly(id: string, message: string, times: number): Promise<RecipientOut[]> {
    let recipients: RecipientOut[] = [];
    for (let round = 1; round <= times; round++) {
      const retry = await api("POST", `/api/v1/broadcasts/${id}/retry?wait=true`);
      expect(retry.status, retry.text).toBe(200);
      recipients = await settled(id);
      await assertSound(id, message, recipients);
    }
    return recipients;
  }

  /**
   * A broadcast to every gateway (6 s timeout) with two workers: once the two slow gateways have
   * it (the rest still queued), `stop` ends the server; it then restarts on the same database
   * with 16 workers.
   */
  async function stopMidBroadcast(message: string, stop: () => Promise<void>): Promise<string> {
    srv.env.MESH_BROADCAST_CONCURRENCY = "2";
    await srv.restart();
    const { id, token } = await createBroadcast(message, 6);
    expect((await api("POST", `/api/v1/broadcasts/${id}/confirm`, { token })).status).toBe(202);
    const sentTo = () => Object.entries(framesOf(message)).filter(([, f]) => f.length > 0).map(([h]) => h);
    await until(sentTo, (s) => s.length >= 2, 30_000, 20);
    expect(sentTo()).toEqual(["a-slow-1", "a-slow-2"]);
    await stop();
    srv.env.MESH_BROADCAST_CONCURRENCY = "16";
    await srv.restart();
    return id;
  }

  it("kill -9 mid-broadcast, restart on the same database, retry: all final, 0 double deliveries, audit verifies", { timeout: 90_000 }, async () => {
    const message = "fault suite: crash mid-broadcast";
    const id = await stopMidBroadcast(message, async () => {
      const exit = await srv.kill("SIGKILL");
      expect(exit.signal).toBe("SIGKILL");
    });
    let recipients = (await api("GET", `/api/v1/broadcasts/${id}`)).body.recipients as RecipientOut[];
    expect((await api("GET", `/api/v1/broadcasts/${id}`)).body.state).toBe("completed");
    // the crash left nothing unfinished: sent and queued ones alike are interrupted
    expect(Object.fromEntries(recipients.map((r) => [r.handle, r.status]))).toEqual(Object.fromEntries([...gateways.keys()].map((h) => [h, "interrupted"])));
    // the two that were sending have their key on record
    for (const h of ["a-slow-1", "a-slow-2"]) expect(recipients.find((r) => r.handle === h)?.runId).toBe(framesOf(message)[h]?.[0]?.key);
    await assertSound(id, message, recipients);

    const retry = await api("POST", `/api/v1/broadcasts/${id}/retry?wait=true`);
    expect(retry.status, retry.text).toBe(200);
    recipients = await settled(id);
    await assertSound(id, message, recipients);
    const by = (h: string) => recipients.find((r) => r.handle === h) as RecipientOut;
    // the runs the crash interrupted were picked up under their key, not sent again
    for (const h of ["a-slow-1", "a-slow-2"]) expect(by(h)).toMatchObject({ status: "replied", attempts: 2 });
    for (const h of ["i-healthy-1", "i-healthy-2", "i-healthy-3", "i-healthy-4"]) expect(by(h)).toMatchObject({ status: "replied", attempts: 1 });
    // every gateway that takes messages got this one exactly once
    for (const [h, gw] of gateways) if (gw && h !== "d-garbage") expect(gw.received.filter((m) => m === message), h).toHaveLength(1);
  });

  it("SIGTERM mid-broadcast (grace over), restart, two retries: the interrupted runs are left running on the gateway and picked up, never sent again", { timeout: 90_000 }, async () => {
    const message = "fault suite: stopped mid-broadcast";
    // graceful stop: the slow runs outlast MESH_SHUTDOWN_GRACE_SEC (1 s) and are interrupted
    const id = await stopMidBroadcast(message, async () => {
      const exit = await srv.kill("SIGTERM");
      expect(exit.code).toBe(0);
    });
    let recipients = (await api("GET", `/api/v1/broadcasts/${id}`)).body.recipients as RecipientOut[];
    for (const h of ["a-slow-1", "a-slow-2"]) expect(recipients.find((r) => r.handle === h)).toMatchObject({ status: "interrupted", runId: framesOf(message)[h]?.[0]?.key });
    await assertSound(id, message, recipients);
    recipients = await retrySoundly(id, message, 2);
    for (const h of ["a-slow-1", "a-slow-2"]) expect(recipients.find((r) => r.handle === h)).toMatchObject({ status: "replied", attempts: 2 });
    for (const [h, gw] of gateways) if (gw && h !== "d-garbage") expect(gw.received.filter((m) => m === message), h).toHaveLength(1);
  });
});
