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
