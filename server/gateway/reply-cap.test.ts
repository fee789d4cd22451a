import { createGatewayConnector } from "./connector.ts";
import { createMemoryCredentialStore } from "./credential-store.ts";
import { capReply, capUtf8 } from "./reply-cap.ts";
import { startFakeGateway } from "../../test/support/fake-gateway.ts";

describe("reply cap", () => {
  it("keeps a reply within the cap whole", () => {
    expect(capUtf8("héllo", 6)).toEqual({ text: "héllo", truncated: false, fullBytes: 6 });
  });

  it("cuts on a UTF-8 character boundary, never inside a character", () => {
    // "é" is 2 bytes, "😀" 4: a cut at 3 or 4 bytes keeps "aé", a cut inside the emoji drops it whole
    expect(capUtf8("aé😀b", 3)).toEqual({ text: "aé", truncated: true, fullBytes: 8 });
    expect(capUtf8("aé😀b", 5)).toEqual({ text: "aé", truncated: true, fullBytes: 8 });
    expect(capUtf8("aé😀b", 7)).toEqual({ text: "aé😀", truncated: true, fullBytes: 8 });
    expect(capUtf8("😀😀", 2).text).toBe("");
    for (let max = 0; max < 12; max++) expect(capUtf8("aé😀b€x", max).text).not.toContain("\uFFFD");
  });

  it("records the full size only when the reply was cut", () => {
    expect(capReply({ outcome: "replied", reply: "x".repeat(10), latencyMs: 1 }, 4)).toEqual({ outcome: "replied", reply: "xxxx", replyFullBytes: 10, latencyMs: 1 });
    expect(capReply({ outcome: "replied", reply: "xx", latencyMs: 1 }, 4)).toEqual({ outcome: "replied", reply: "xx", latencyMs: 1 });
  });

  it("the connector keeps the first replyMaxBytes of a long reply, also in what it streams", async () => {
    const long = "ü".repeat(300_000); // 600 000 bytes
    const gw = await startFakeGateway({ token: "shared", reply: () => long });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 1: "shared" } }), replyMaxBytes: 1025 });
    const deltas: string[] = [];
    try {
      const r = await c.send({ teammateId: 1, url: gw.url }, { sessionKey: "main", message: "talk a lot", timeoutMs: 20_000, onDelta: (t) => deltas.push(t) });
      expect(r.outcome).toBe("replied");
      expect(r.reply).toBe("ü".repeat(512));
      expect(r.replyFullBytes).toBe(600_000);
      for (const d of deltas) expect(Buffer.byteLength(d)).toBeLessThanOrEqual(1025);
    } finally {
      await c.close();
      await gw.stop();
    }
  });

  it("a reply within the cap is returned whole, without replyFullBytes", async () => {
    const gw = await startFakeGateway({ token: "shared", reply: (m) => `ack ${m}` });
    const c = createGatewayConnector({ credentials: createMemoryCredentialStore({ gatewayTokens: { 1: "shared" } }), replyMaxBytes: 1024 });
    try {
      const r = await c.send({ teammateId: 1, url: gw.url }, { sessionKey: "main", message: "hi", timeoutMs: 20_000 });
      expect(r).toMatchObject({ outcome: "replied", reply: "ack hi" });
      expect(r.replyFullBytes).toBeUndefined();
    } finally {
      await c.close();
      await gw.stop();
    }
  });
});
