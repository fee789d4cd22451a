// Fault injection against the fake gateway: every fault ends in its code within its time bound,
// and a healthy gateway used at the same time keeps answering.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { createGatewayConnector, createMemoryCredentialStore, type GatewayConnector, type SendResult } from "../../server/gateway/index.ts";
import { startFakeGateway, type FakeGateway, type FakeGatewayFaults } from "../support/fake-gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOKEN = "fault-token";
const CONNECT_TIMEOUT = 1500;
// Each fault must end at its own bound (connect timeout, caller's deadline, or at once), well before
// the bound it would hit if it hung (the longer send timeout). SLACK absorbs a loaded machine's delays;
// every bound below stays clearly under the alternative it rules out.
const SLACK = 3000;

describe("gateway faults", () => {
  let healthy: FakeGateway;
  let connector: GatewayConnector;
  const creds = createMemoryCredentialStore();
  let nextId = 100;
  const started: FakeGateway[] = [];

  beforeAll(async () => {
    healthy = await startFakeGateway({ token: TOKEN, replyDelayMs: 50 });
    creds.setGatewayToken(1, TOKEN);
    connector = createGatewayConnector({ credentials: creds, connectTimeoutMs: CONNECT_TIMEOUT });
  });
  afterAll(async () => {
    await connector.close();
    await Promise.all([healthy.stop(), ...started.map((g) => g.stop())]);
  });

  async function faulty(faults: FakeGatewayFaults, token = TOKEN) {
    const gw = await startFakeGateway({ token: TOKEN, faults, replyDelayMs: 50 });
    started.push(gw);
    const teammateId = nextId++;
    creds.setGatewayToken(teammateId, token);
    return { gw, target: { teammateId, url: gw.url } };
  }

  /** Runs the faulty send next to a healthy one; returns the faulty result and its duration. */
  async function sendWithHealthyAlongside(target: { teammateId: number; url: string }, timeoutMs: number, message = "hello") {
    const t0 = Date.now();
    const [bad, good] = await Promise.all([
      connector.send(target, { sessionKey: "main", message, timeoutMs }).then((r) => ({ r, ms: Date.now() - t0 })),
      sleep(20).then(() => connector.send({ teammateId: 1, url: healthy.url }, { sessionKey: `healthy-${target.teammateId}`, message: `ok ${target.teammateId}`, timeoutMs: 5000 })),
    ]);
    expect(good).toMatchObject({ outcome: "replied", reply: `ok ${target.teammateId}` });
    return bad;
  }

  function expectError(r: SendResult, code: string) {
    expect(r.outcome).toBe("error");
    expect(r.error?.code).toBe(code);
    expect(r.error?.message).not.toContain(TOKEN);
  }

  it("never sends the challenge → GATEWAY_TIMEOUT within the connect timeout", async () => {
    const { target } = await faulty({ noChallenge: true });
    const { r, ms } = await sendWithHealthyAlongside(target, 10_000);
    expectError(r, "GATEWAY_TIMEOUT");
    expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
  });

  it("garbage instead of the handshake → GATEWAY_TIMEOUT", async () => {
    const { target } = await faulty({ garbage: "handshake" });
    const { r, ms } = await sendWithHealthyAlongside(target, 10_000);
    expectError(r, "GATEWAY_TIMEOUT");
    expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
  });

  it("garbage instead of answers → GATEWAY_TIMEOUT within the send timeout", async () => {
    const { target } = await faulty({ garbage: "requests" });
    const { r, ms } = await sendWithHealthyAlongside(target, 1200);
    expectError(r, "GATEWAY_TIMEOUT");
    expect(r.error?.details).toMatchObject({ idempotencyKey: expect.any(String) });
    expect(ms).toBeLessThan(1200 + SLACK);
  });

  it("oversized frame → GATEWAY_ERROR (frame too large), connection dropped", async () => {
    const { target } = await faulty({ oversizedFrame: true });
    const { r, ms } = await sendWithHealthyAlongside(target, 8000);
    expectError(r, "GATEWAY_ERROR");
    expect(r.error?.details).toMatchObject({ reason: "frame-too-large" });
    expect(ms).toBeLessThan(8000);
    expect(connector.openConnections()).toBeGreaterThanOrEqual(1); // the healthy one
  });

  it("closes mid-run → GATEWAY_UNREACHABLE with the run id kept", async () => {
    const { target } = await faulty({ closeMidRun: true });
    const { r, ms } = await sendWithHealthyAlongside(target, 15_000);
    expectError(r, "GATEWAY_UNREACHABLE");
    expect(r.runId).toBeTruthy();
    expect(r.error?.details).toMatchObject({ runId: r.runId });
    expect(ms).toBeLessThan(2 * SLACK); // at the close, not at the send timeout
  });

  it("closes after taking chat.send, before answering → the key is reported, and a retry under it is not delivered twice", async () => {
    const { gw, target } = await faulty({ closeBeforeAnswer: true });
    const r = await connector.send(target, { sessionKey: "main", message: "only once", timeoutMs: 10_000 });
    expectError(r, "GATEWAY_UNREACHABLE");
    expect(r.runId).toBeTruthy();
    expect(r.error?.details).toMatchObject({ idempotencyKey: r.runId, mayHaveBeenDelivered: true });
    expect(gw.received).toEqual(["only once"]);
    gw.faults.closeBeforeAnswer = false;
    const again = await connector.send(target, { sessionKey: "main", message: "only once", timeoutMs: 10_000, idempotencyKey: r.runId as string });
    expect(again.outcome).toBe("replied");
    expect(gw.received).toEqual(["only once"]); // deduped by the key: the agent got it once
  });

  it("refused connection → GATEWAY_UNREACHABLE without a run id (nothing left the server)", async () => {
    const { gw, target } = await faulty({});
    await gw.stop();
    const r = await connector.send(target, { sessionKey: "main", message: "never sent", timeoutMs: 5000 });
    expectError(r, "GATEWAY_UNREACHABLE");
    expect(r.runId).toBeUndefined();
  });

  it("slow hello → GATEWAY_TIMEOUT", async () => {
    const { target } = await faulty({ slowHelloMs: 5000 });
    const { r, ms } = await sendWithHealthyAlongside(target, 10_000);
    expectError(r, "GATEWAY_TIMEOUT");
    expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
  });

  it("slow answers → ends at the caller's deadline", async () => {
    const { target } = await faulty({ slowResponseMs: 15_000 });
    const { r, ms } = await sendWithHealthyAlongside(target, 800);
    expectError(r, "GATEWAY_TIMEOUT");
    expect(ms).toBeLessThan(800 + SLACK);
  });

  it("model slower than the timeout → outcome timeout with run id", async () => {
    const { target } = await faulty({});
    const { r, ms } = await sendWithHealthyAlongside(target, 500, "[[delay:15000]] slow");
    expect(r.outcome).toBe("timeout");
    expect(r.runId).toBeTruthy();
    expect(ms).toBeLessThan(500 + SLACK);
  });

  it("protocol version rejected → PROTOCOL_MISMATCH, not retried", async () => {
    const { gw, target } = await faulty({ rejectProtocol: true });
    const { r, ms } = await sendWithHealthyAlongside(target, 10_000);
    expectError(r, "PROTOCOL_MISMATCH");
    expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
    await sleep(1500);
    expect(gw.connects.length).toBe(1);
  });

  it("token mismatch → AUTH_FAILED, exactly one login attempt (no reconnect loop), even for concurrent sends", async () => {
    const { gw, target } = await faulty({}, "not-the-token");
    const t0 = Date.now();
    const rs = await Promise.all(["a", "b", "c"].map((s) => connector.send(target, { sessionKey: s, message: "x", timeoutMs: 15_000 })));
    for (const r of rs) {
      expectError(r, "AUTH_FAILED");
      expect(JSON.stringify(r)).not.toContain("not-the-token");
    }
    expect(Date.now() - t0).toBeLessThan(CONNECT_TIMEOUT + SLACK);
    await sleep(2500); // GatewayClient's own reconnect would have fired after 1 s
    expect(gw.connects).toEqual([{ ok: false, error: "AUTH_TOKEN_MISMATCH", auth: "token" }]);
    expect(gw.connections()).toBe(0);
  });

  it("gateway still starting → retried within the budget; GATEWAY_STARTING when it stays starting", async () => {
    const { target: soon } = await faulty({ startingForMs: 700 });
    const ok = await connector.send(soon, { sessionKey: "main", message: "after start", timeoutMs: 5000 });
    expect(ok).toMatchObject({ outcome: "replied", reply: "after start" });
    const { target: never } = await faulty({ startingForMs: 60_000 });
    const { r, ms } = await sendWithHealthyAlongside(never, 10_000);
    expectError(r, "GATEWAY_STARTING");
    expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
  });

  it("connection refused → GATEWAY_UNREACHABLE fast", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    creds.setGatewayToken(90, TOKEN);
    const { r, ms } = await sendWithHealthyAlongside({ teammateId: 90, url: `ws://127.0.0.1:${port}` }, 15_000);
    expectError(r, "GATEWAY_UNREACHABLE");
    expect(r.error?.details).toMatchObject({ errno: "ECONNREFUSED" });
    expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
  });

  it("a TCP peer that never answers HTTP → GATEWAY_UNREACHABLE at the connect timeout", async () => {
    const sockets: Socket[] = [];
    const srv: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as { port: number }).port;
    creds.setGatewayToken(91, TOKEN);
    try {
      const { r, ms } = await sendWithHealthyAlongside({ teammateId: 91, url: `ws://127.0.0.1:${port}` }, 10_000);
      expectError(r, "GATEWAY_UNREACHABLE");
      expect(ms).toBeLessThan(CONNECT_TIMEOUT + SLACK);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    }
  });

  describe("TLS", () => {
    let dir: string;
    let tlsGw: FakeGateway;
    let pin: string;
    let otherPin: string;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "tm-tls-"));
      const mk = (name: string) => {
        execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
          "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(dir, `${name}.key`), "-out", path.join(dir, `${name}.crt`)], { stdio: "ignore" });
        return { key: readFileSync(path.join(dir, `${name}.key`), "utf8"), cert: readFileSync(path.join(dir, `${name}.crt`), "utf8") };
      };
      const a = mk("a");
      const b = mk("b");
      pin = new X509Certificate(a.cert).fingerprint256;
      otherPin = new X509Certificate(b.cert).fingerprint256;
      tlsGw = await startFakeGateway({ token: TOKEN, tls: a });
      creds.setGatewayToken(95, TOKEN);
    });
    afterAll(async () => {
      await tlsGw.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("pinned certificate → connects; wrong pin → TLS_PIN_MISMATCH; unpinned self-signed → refused", async () => {
      expect(tlsGw.url.startsWith("wss://")).toBe(true);
      const good = await connector.send({ teammateId: 95, url: tlsGw.url, tlsFingerprint: pin }, { sessionKey: "main", message: "over tls", timeoutMs: 5000 });
      expect(good).toMatchObject({ outcome: "replied", reply: "over tls" });
      connector.forget(95);
      const bad = await connector.send({ teammateId: 95, url: tlsGw.url, tlsFingerprint: otherPin }, { sessionKey: "main", message: "x", timeoutMs: 5000 });
      expectError(bad, "TLS_PIN_MISMATCH");
      const probe = await connector.probe({ teammateId: 95, url: tlsGw.url, tlsFingerprint: otherPin });
      expect(probe).toMatchObject({ state: "error", error: { code: "TLS_PIN_MISMATCH" } });
      const unpinned = await connector.send({ teammateId: 95, url: tlsGw.url }, { sessionKey: "main", message: "x", timeoutMs: 5000 });
      expectError(unpinned, "GATEWAY_ERROR");
      expect(unpinned.error?.details).toMatchObject({ tlsError: expect.any(String) });
    });
  });
});

describe("no leaked sockets or timers", () => {
  it("a process using the connector exits on its own after close()", async () => {
    const gw = await startFakeGateway({ token: TOKEN, replyDelayMs: 30 });
    try {
      const script = path.resolve(import.meta.dirname, "../support/connector-exit-script.ts");
      const child = spawn(process.execPath, [script, gw.url, TOKEN], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      let closedAt = 0;
      child.stdout.on("data", () => {
        if (!closedAt && out.includes("closed")) closedAt = Date.now();
      });
      const code = await new Promise<number | null>((resolve) => {
        const kill = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(-1);
        }, 15_000);
        child.on("close", (c) => {
          clearTimeout(kill);
          resolve(c);
        });
      });
      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toContain('["replied","timeout","error","error","online"]');
      expect(out).toContain("open 1");
      expect(closedAt).toBeGreaterThan(0);
      expect(Date.now() - closedAt).toBeLessThan(1500 + SLACK); // no timer held it open
    } finally {
      await gw.stop();
    }
  });
});
