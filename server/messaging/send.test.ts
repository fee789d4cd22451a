import { startFakeGateway, type FakeGateway } from "../../test/support/fake-gateway.ts";
import { ApiError } from "../errors.ts";
import { until } from "../../test/support/server.ts";
import { createHarness, operator, type Harness } from "../../test/support/messaging-harness.ts";
import { Message as MessageSchema } from "../../shared/api/messages.ts";

const TOKEN = "gw-secret-token-abcdef";

describe("message service", () => {
  let h: Harness;
  let gw: FakeGateway;
  beforeEach(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    h = createHarness();
    h.registry.create({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.url, token: TOKEN }, "test");
    h.registry.create({ handle: "bobby", name: "Bobby Tables", gatewayUrl: gw.url, token: TOKEN }, "test");
    h.registry.create({ handle: "carol", name: "Carol", gatewayUrl: null }, "test");
  });
  afterEach(async () => {
    await h.close();
    await gw.stop();
  });

  it("every message it returns and publishes has the API's shape (rows are shaped, not parsed)", async () => {
    const out = await h.messages.send({ to: "bob", message: "hello", session: "main", rounds: 2, timeoutSec: 10, dryRun: false, wait: true, fallback: true }, operator);
    if (out.kind !== "message") throw new Error("expected a message");
    const strict = MessageSchema.strict();
    expect(strict.parse(out.message)).toEqual(out.message);
    expect(strict.parse(h.messages.get(out.message.id))).toEqual(out.message);
    const published = h.events.filter((e) => e.type === "message.updated");
    expect(published.length).toBeGreaterThan(2);
    for (const e of published) if (e.type === "message.updated") expect(strict.parse(e.message)).toEqual(e.message);
  });

  it("sends one round, audits pending then replied, persists the message", async () => {
    const out = await h.messages.send({ to: "bob", message: "hello", session: "main", rounds: 1, timeoutSec: 10, dryRun: false, wait: true, fallback: true }, operator);
    expect(out.kind).toBe("message");
    if (out.kind !== "message") return;
    expect(out.message.status).toBe("replied");
    expect(out.message.exchanges).toHaveLength(1);
    expect(out.message.exchanges[0]?.reply).toBe("re: hello");
    expect(gw.received).toEqual(["hello"]);
    const sends = h.auditEntries().filter((e) => e.kind === "send");
    expect(sends).toHaveLength(1);
    expect(sends[0]?.outcome).toBe("replied");
    expect(sends[0]?.messageId).toBe(out.message.id);
    // the pending entry was published before completion
    const appended = h.events.filter((e) => e.type === "audit.appended");
    expect(appended.some((e) => e.type === "audit.appended" && e.entry.outcome === "pending")).toBe(true);
    expect(h.messages.get(out.message.id).status).toBe("replied");
  });

  it("chains rounds: each reply is the next message", async () => {
    const out = await h.messages.send({ to: "bob", message: "x", session: "main", rounds: 3, timeoutSec: 10, dryRun: false, wait: true, fallback: true }, operator);
    if (out.kind !== "message") throw new Error("expected message");
    expect(gw.received).toEqual(["x", "re: x", "re: re: x"]);
    expect(out.message.exchanges.map((e) => e.round)).toEqual([1, 2, 3]);
  });

  it("resolves names and reports ambiguity", async () => {
    await expect(h.messages.send({ to: "Bob", message: "x", session: "main", rounds: 1, timeoutSec: 5, dryRun: true, wait: true, fallback: true }, operator)).resolves.toMatchObject({ kind: "preview" });
    try {
      await h.messages.send({ to: "Bo", message: "x", session: "main", rounds: 1, timeoutSec: 5, dryRun: false, wait: true, fallback: true }, operator);
      throw new Error("expected ambiguity");
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("AMBIGUOUS_TEAMMATE");
    }
  });

  it("refuses above the hard limit in bytes and warns above the soft limit", async () => {
    const big = "é".repeat(4097); // 8194 bytes, 4097 chars
    await expect(h.messages.send({ to: "bob", message: big, session: "main", rounds: 1, timeoutSec: 5, dryRun: false, wait: true, fallback: true }, operator)).rejects.toMatchObject({ code: "MESSAGE_TOO_LARGE" });
    const medium = "é".repeat(2049); // 4098 bytes
    const out = await h.messages.send({ to: "bob", message: medium, session: "main", rounds: 1, timeoutSec: 5, dryRun: true, wait: true, fallback: true }, operator);
    if (out.kind !== "preview") throw new Error("expected preview");
    expect(out.preview.messageBytes).toBe(4098);
    expect(out.preview.warnings.map((w) => w.code)).toEqual(["MESSAGE_LARGE"]);
    expect(gw.received).toEqual([]);
  });

  it("NO_ADDRESS without a network call", async () => {
    await expect(h.messages.send({ to: "carol", message: "x", session: "main", rounds: 1, timeoutSec: 5, dryRun: false, wait: true, fallback: true }, operator)).rejects.toMatchObject({ code: "NO_ADDRESS" });
  });

  it("timeout then late reply", async () => {
    const out = await h.messages.send({ to: "bob", message: "slow [[delay:2500]]", session: "main", rounds: 1, timeoutSec: 1, dryRun: false, wait: true, fallback: true }, operator);
    if (out.kind !== "message") throw new Error("expected message");
    expect(out.message.status).toBe("timeout");
    // the run goes on at the gateway; fetch until it has ended
    let late = await h.messages.lateReply(out.message.id, operator);
    for (let i = 0; i < 40 && late.status !== "replied"; i++) {
      await new Promise((r) => setTimeout(r, 250));
      late = await h.messages.lateReply(out.message.id, operator);
    }
    expect(late.status).toBe("replied");
    expect(late.exchanges[0]?.reply).toContain("re:");
    expect(h.auditEntries().some((e) => e.kind === "late_reply" && e.outcome === "replied")).toBe(true);
  });

  it("cancel aborts the run in flight", async () => {
    const out = await h.messages.send({ to: "bob", message: "hold [[delay:8000]]", session: "main", rounds: 1, timeoutSec: 30, dryRun: false, wait: false, fallback: true }, operator);
    if (out.kind !== "accepted") throw new Error("expected accepted");
    // the gateway has the message: the cancel comes after chat.send left
    const key = `${out.accepted.id}-1`;
    await until(() => gw.sentKeys, (k) => k.includes(key));
    const m = await h.messages.cancel(out.accepted.id, operator);
    expect(m.status).toBe("cancelled_after_send");
    expect(m.exchanges[0]).toMatchObject({ status: "cancelled_after_send", runId: key });
    await until(() => gw.aborts, (a) => a.some((x) => x.runId === key));
    const attempt = h.auditEntries().find((e) => e.kind === "send" && (e.details as { action?: string } | null)?.action === undefined);
    expect(attempt?.outcome).toBe("cancelled_after_send");
  });

  it("an interrupt (server stopping) records interrupted but leaves the run going on the gateway, as a crash would", async () => {
    const out = await h.messages.send({ to: "bob", message: "keep going [[delay:1500]]", session: "main", rounds: 1, timeoutSec: 30, dryRun: false, wait: false, fallback: true }, operator);
    if (out.kind !== "accepted") throw new Error("expected accepted");
    const deadline = Date.now() + 15_000;
    while (gw.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    h.inflight.abortAll("interrupted");
    expect(await h.inflight.drain(10_000)).toBe(true);
    const m = h.messages.get(out.accepted.id);
    expect(m.status).toBe("interrupted");
    const runId = m.exchanges[0]?.runId;
    expect(runId).toEqual(expect.any(String));
    // no chat.abort went out: the run ends normally and its reply can be picked up under its key
    const bob = h.registry.byHandle("bob");
    if (!bob?.gatewayUrl) throw new Error("no bob");
    const late = await h.connector.fetchLateReply({ teammateId: bob.id, url: bob.gatewayUrl, tlsFingerprint: null }, { sessionKey: "main", runId: runId as string, timeoutMs: 10_000 });
    expect(late).toMatchObject({ outcome: "replied", reply: "re: keep going" });
  });
});
