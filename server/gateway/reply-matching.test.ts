import { randomUUID } from "node:crypto";
import { createGatewayConnector, createMemoryCredentialStore } from "./index.ts";
import { findRunReply, messageText } from "./reply-matching.ts";
import { startFakeGateway, type FakeGateway } from "../../test/support/fake-gateway.ts";

const user = (key: string, text: string) => ({ role: "user", content: text, idempotencyKey: `${key}:user`, __openclaw: { idempotencyKey: `${key}:user` } });
const assistant = (runId: string, text: string) => ({ role: "assistant", content: [{ type: "text", text }], __openclaw: { runId } });

describe("findRunReply", () => {
  it("takes the assistant row of our run, not the newest assistant row", () => {
    const rows = [user("k1", "hi"), assistant("k1", "reply to k1"), user("other", "x"), assistant("other", "newest, not ours")];
    expect(findRunReply(rows, "k1", "k1")).toEqual({ kind: "reply", text: "reply to k1" });
  });

  it("reports delivered when our message is there but no row of our run", () => {
    const rows = [user("k1", "hi"), assistant("someone-else", "steered reply")];
    expect(findRunReply(rows, "k1", "k1")).toEqual({ kind: "delivered" });
  });

  it("reports not_found when neither is in the page", () => {
    expect(findRunReply([assistant("x", "y")], "k1", "k1")).toEqual({ kind: "not_found" });
  });

  it("uses the last text row of the run (tool calls before the final answer)", () => {
    const rows = [user("k", "q"), { role: "assistant", content: [{ type: "toolCall", name: "t" }], __openclaw: { runId: "k" } }, assistant("k", "final")];
    expect(findRunReply(rows, "k", "k")).toEqual({ kind: "reply", text: "final" });
  });

  it("ignores rows of our run before our user row", () => {
    const rows = [assistant("k", "stale"), user("k", "q")];
    expect(findRunReply(rows, "k", "k")).toEqual({ kind: "delivered" });
  });

  describe("a release that stamps no run id on any row (OpenClaw 2026.7.35)", () => {
    // verbatim shape of 2026.7.35's chat.history rows: the assistant row's __openclaw has no runId
    const bare = (text: string) => ({ role: "assistant", content: [{ type: "text", text }], stopReason: "stop", __openclaw: { id: "75758981", seq: 2 } });

    it("takes the turn our own user row opens, up to the next user row", () => {
      const rows = [user("k0", "before"), bare("reply to k0"), user("k1", "hi"), bare("tool talk"), bare("reply to k1"), user("k2", "next"), bare("reply to k2")];
      expect(findRunReply(rows, "k1", "k1")).toEqual({ kind: "reply", text: "reply to k1" });
      expect(findRunReply(rows, "k0", "k0")).toEqual({ kind: "reply", text: "reply to k0" });
    });

    it("says delivered when our turn has no assistant text yet, or when the previous user row is unanswered (steered)", () => {
      expect(findRunReply([user("k1", "hi")], "k1", "k1")).toEqual({ kind: "delivered" });
      expect(findRunReply([user("k1", "hi"), user("k2", "next"), bare("reply to k2")], "k1", "k1")).toEqual({ kind: "delivered" });
      expect(findRunReply([user("k0", "busy"), user("k1", "steered in"), bare("answer of k0's run")], "k1", "k1")).toEqual({ kind: "delivered" });
    });

    it("never without our user row, and not when the page stamps run ids (the other run's row is not ours)", () => {
      expect(findRunReply([bare("whose?")], "k1", "k1")).toEqual({ kind: "not_found" });
      expect(findRunReply([user("k1", "hi"), bare("unstamped"), assistant("other", "stamped")], "k1", "k1")).toEqual({ kind: "delivered" });
    });
  });

  it("extracts text from string and part arrays", () => {
    expect(messageText({ content: "a" })).toBe("a");
    expect(messageText({ content: [{ type: "text", text: "a" }, { type: "image" }, { type: "text", text: "b" }] })).toBe("ab");
    expect(messageText({ content: [] })).toBeUndefined();
  });
});

describe("reply matching against the fake gateway's chat.history", () => {
  let gw: FakeGateway;
  beforeAll(async () => {
    // no terminalReply and no chat events: the connector must find the reply in chat.history
    gw = await startFakeGateway({ token: "t-hist", faults: { noTerminalReply: true, noChatEvents: true }, reply: (m) => `re: ${m}` });
  });
  afterAll(() => gw.stop());

  it("finds each run's own reply even when newer replies exist", async () => {
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 1: "t-hist" } }) });
    try {
      const t = { teammateId: 1, url: gw.url };
      const a = await c.send(t, { sessionKey: "main", message: "one", timeoutMs: 5000 });
      const b = await c.send(t, { sessionKey: "main", message: "two", timeoutMs: 5000 });
      expect(a).toMatchObject({ outcome: "replied", reply: "re: one" });
      expect(b).toMatchObject({ outcome: "replied", reply: "re: two" });
      // a late fetch of the first run still answers with ITS reply, not the newest one
      const late = await c.fetchLateReply(t, { sessionKey: "main", runId: a.runId ?? "" });
      expect(late).toMatchObject({ outcome: "replied", reply: "re: one", runId: a.runId });
    } finally {
      await c.close();
    }
  });

  it("finds the reply of an earlier run in a history without run ids (OpenClaw 2026.7.35: only our user row is ours)", async () => {
    const bare = await startFakeGateway({ token: "t-bare", faults: { unstampedHistory: true, noTerminalReply: true }, reply: (m) => `re: ${m}` });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 1: "t-bare" } }) });
    try {
      const t = { teammateId: 1, url: bare.url };
      const a = await c.send(t, { sessionKey: "main", message: "one", timeoutMs: 5000 });
      const b = await c.send(t, { sessionKey: "main", message: "two", timeoutMs: 5000 });
      expect(a).toMatchObject({ outcome: "replied", reply: "re: one" }); // from its final chat event
      expect(b).toMatchObject({ outcome: "replied", reply: "re: two" });
      expect(await c.fetchLateReply(t, { sessionKey: "main", runId: a.runId ?? "", timeoutMs: 500 })).toMatchObject({ outcome: "replied", reply: "re: one", runId: a.runId });
      expect(await c.fetchLateReply(t, { sessionKey: "main", runId: b.runId ?? "", timeoutMs: 500 })).toMatchObject({ outcome: "replied", reply: "re: two", runId: b.runId });
    } finally {
      await c.close();
      await bare.stop();
    }
  });

  it("says delivered_no_reply when the run ends without an assistant row", async () => {
    const silent = await startFakeGateway({ token: "t-silent", faults: { silentRuns: true } });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 1: "t-silent" } }) });
    try {
      const key = randomUUID();
      const r = await c.send({ teammateId: 1, url: silent.url }, { sessionKey: "main", message: "NO_REPLY please", timeoutMs: 5000, idempotencyKey: key });
      expect(r).toMatchObject({ outcome: "delivered_no_reply", runId: key });
    } finally {
      await c.close();
      await silent.stop();
    }
  });
});
