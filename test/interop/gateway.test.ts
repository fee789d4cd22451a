// The connector against REAL OpenClaw gateways (openclaw@2026.9.6, started by the launcher with a
// fake model server). One gateway serves most tests; a second one joins for the parallel test.
import { createGatewayConnector, createMemoryCredentialStore, type GatewayConnector } from "../../server/gateway/index.ts";
import { startFakeModelServer, type FakeModelServer } from "../support/fake-model-server.ts";
import { OPENCLAW_VERSION, startOpenClawGateway, type RunningGateway } from "../support/openclaw-gateway.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("connector ↔ real OpenClaw gateway", () => {
  let model: FakeModelServer;
  let gw: RunningGateway;
  let gw2: RunningGateway;
  let connector: GatewayConnector;
  const creds = createMemoryCredentialStore();
  const t1 = () => ({ teammateId: 1, url: gw.url });

  beforeAll(async () => {
    model = await startFakeModelServer();
    gw = await startOpenClawGateway({ modelBaseUrl: model.baseUrl });
    gw2 = await startOpenClawGateway({ modelBaseUrl: model.baseUrl }); // one after another
    console.log(`gateway startup: ${gw.startupMs} ms, ${gw2.startupMs} ms`);
    creds.setGatewayToken(1, gw.token);
    creds.setGatewayToken(2, gw2.token);
    creds.setGatewayToken(3, `${gw.token}-wrong`);
    connector = createGatewayConnector({ credentials: creds, connectTimeoutMs: 10_000 });
  });

  afterAll(async () => {
    await connector?.close();
    await gw?.stop();
    await gw2?.stop();
    await model?.stop();
  });

  it("probes: healthz + authenticated connect with write scope", async () => {
    const p = await connector.probe(t1());
    expect(p).toMatchObject({ state: "online", version: OPENCLAW_VERSION, paired: false });
    expect(p.scopes).toEqual(expect.arrayContaining(["operator.read", "operator.write"]));
    expect(p.scopes).not.toContain("operator.admin");
  });

  it("sends and gets the exact reply (HTML and unicode intact), streaming deltas", async () => {
    const message = `hello <b>team</b> & "quotes" — ünïcödé ✓ ${Date.now()}`;
    const deltas: string[] = [];
    const r = await connector.send(t1(), { sessionKey: "main", message, timeoutMs: 60_000, onDelta: (t) => deltas.push(t) });
    expect(r).toMatchObject({ outcome: "replied", reply: message });
    expect(r.runId).toBeTruthy();
    expect(deltas.at(-1)).toBe(message);
    expect(model.requests).toContain(message);
  });

  it("two sends in a row to one session each get their own reply", async () => {
    const [a, b] = await Promise.all([
      connector.send(t1(), { sessionKey: "main", message: "[[delay:800]] first of two", timeoutMs: 60_000 }),
      connector.send(t1(), { sessionKey: "main", message: "second of two", timeoutMs: 60_000 }),
    ]);
    expect(a).toMatchObject({ outcome: "replied", reply: "first of two" });
    expect(b).toMatchObject({ outcome: "replied", reply: "second of two" });
    expect(a.runId).not.toBe(b.runId);
  });

  it("two gateways in parallel", async () => {
    const t0 = Date.now();
    const [a, b] = await Promise.all([
      connector.send(t1(), { sessionKey: "par", message: "[[delay:5000]] to gateway one", timeoutMs: 60_000 }),
      connector.send({ teammateId: 2, url: gw2.url }, { sessionKey: "par", message: "[[delay:5000]] to gateway two", timeoutMs: 60_000 }),
    ]);
    expect(a).toMatchObject({ outcome: "replied", reply: "to gateway one" });
    expect(b).toMatchObject({ outcome: "replied", reply: "to gateway two" });
    // both ran at once: one after the other would take at least the sum of both (each run is
    // >= 5 s, so the 2.5 s margin is room for a loaded machine, not a timing guess)
    const wall = Date.now() - t0;
    console.log(`parallel sends: ${wall} ms (a ${a.latencyMs} ms, b ${b.latencyMs} ms)`);
    expect(wall).toBeLessThan(a.latencyMs + b.latencyMs - 2500);
  });

  it("wrong token → AUTH_FAILED without retries; the right token still works afterwards", async () => {
    const wrong = { teammateId: 3, url: gw.url };
    const t0 = Date.now();
    const p = await connector.probe(wrong);
    expect(p).toMatchObject({ state: "auth_failed", error: { code: "AUTH_FAILED", details: { detailCode: "AUTH_TOKEN_MISMATCH" } } });
    const s = await connector.send(wrong, { sessionKey: "main", message: "never delivered", timeoutMs: 10_000 });
    expect(s).toMatchObject({ outcome: "error", error: { code: "AUTH_FAILED" } });
    expect(Date.now() - t0).toBeLessThan(9000); // not at the send timeout
    expect(JSON.stringify([p, s])).not.toContain(gw.token);
    expect(model.requests).not.toContain("never delivered");
    await sleep(2000); // a reconnect loop would keep failing logins here and lock the address out
    expect((await connector.probe(t1())).state).toBe("online");
  });

  it("model slower than the timeout → timeout with run id; the late reply is fetched afterwards", async () => {
    const r = await connector.send(t1(), { sessionKey: "slow", message: "[[delay:12000]] the late reply", timeoutMs: 2000 });
    expect(r.outcome).toBe("timeout");
    expect(r.runId).toBeTruthy();
    expect(r.latencyMs).toBeLessThan(8000); // gave up at its timeout, not at the end of the run
    const tooEarly = await connector.fetchLateReply(t1(), { sessionKey: "slow", runId: r.runId ?? "", timeoutMs: 500 });
    expect(tooEarly.outcome).toBe("timeout");
    const late = await connector.fetchLateReply(t1(), { sessionKey: "slow", runId: r.runId ?? "", timeoutMs: 30_000 });
    expect(late).toMatchObject({ outcome: "replied", reply: "the late reply", runId: r.runId });
  });

  it("a failing model run → error with the gateway's details", async () => {
    const r = await connector.send(t1(), { sessionKey: "fails", message: "[[http:400]] boom", timeoutMs: 60_000 });
    expect(r).toMatchObject({ outcome: "error", error: { code: "GATEWAY_ERROR", details: { runStatus: "error" } } });
    expect(r.runId).toBeTruthy();
  });

  it("abort via AbortSignal cancels the run on the gateway", async () => {
    const ctl = new AbortController();
    const p = connector.send(t1(), { sessionKey: "abort", message: "[[delay:20000]] never finishes", timeoutMs: 60_000, signal: ctl.signal, onAccepted: () => setTimeout(() => ctl.abort(), 1500) });
    const r = await p;
    expect(r).toMatchObject({ outcome: "error", error: { details: { aborted: true } } });
    // the session is free again: the next send gets its own reply
    const next = await connector.send(t1(), { sessionKey: "abort", message: "after abort", timeoutMs: 60_000 });
    expect(next).toMatchObject({ outcome: "replied", reply: "after abort" });
  });

  it("abort by the idempotency key the moment chat.send was written (before its answer) stops the run", async () => {
    // what a cancel does when it comes after chat.send left: OpenClaw's run id is the key we sent
    let aborting: Promise<void> | null = null;
    const r = await connector.send(t1(), {
      sessionKey: "abort-by-key",
      message: "[[delay:20000]] should be aborted by key",
      timeoutMs: 60_000,
      onSent: (key) => {
        aborting = connector.abort(t1(), { sessionKey: "abort-by-key", runId: key });
      },
    });
    expect(aborting).not.toBeNull();
    await aborting;
    // the gateway reports the run stopped: as aborted, or (2026.9) as failed with stop reason "rpc"
    expect(r).toMatchObject({ outcome: "error", error: { code: "GATEWAY_ERROR" } });
    const details = r.error?.details as { aborted?: boolean; stopReason?: string } | undefined;
    expect(details?.aborted === true || details?.stopReason === "rpc", JSON.stringify(r)).toBe(true);
    const next = await connector.send(t1(), { sessionKey: "abort-by-key", message: "after the abort by key", timeoutMs: 60_000 });
    expect(next).toMatchObject({ outcome: "replied", reply: "after the abort by key" });
  });

  it("stopped gateway → GATEWAY_UNREACHABLE quickly", async () => {
    expect(connector.openConnections()).toBeGreaterThanOrEqual(1);
    await gw2.stop();
    const t0 = Date.now();
    const r = await connector.send({ teammateId: 2, url: gw2.url }, { sessionKey: "main", message: "anyone?", timeoutMs: 30_000 });
    expect(r).toMatchObject({ outcome: "error", error: { code: "GATEWAY_UNREACHABLE" } });
    expect(Date.now() - t0).toBeLessThan(10_000); // not at the 30 s send timeout
    const p = await connector.probe({ teammateId: 2, url: gw2.url });
    expect(p.state).toBe("unreachable");
  });
});
