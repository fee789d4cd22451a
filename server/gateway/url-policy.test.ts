import { checkGatewayUrl, normalizeTlsFingerprint } from "./index.ts";
import { isPrivateOrLoopbackIPv6, isTrustedPlaintextHost } from "./url-policy.ts";

describe("checkGatewayUrl", () => {
  it.each([
    "ws://127.0.0.1:18789",
    "ws://127.9.9.9:1",
    "ws://localhost:18789",
    "ws://[::1]:18789",
    "ws://10.1.2.3:18789",
    "ws://172.16.0.5",
    "ws://172.31.255.255",
    "ws://192.168.1.20:18789",
    "ws://169.254.10.10",
    "ws://100.64.0.1",
    "ws://100.127.255.254",
    "ws://[fd12:3456::1]:18789",
    "ws://[fe80::1]",
    "ws://[::ffff:192.168.0.1]",
    "ws://studio.local:18789",
    "ws://box.tail1234.ts.net",
    "wss://gateway.example.com",
    "wss://8.8.8.8:443",
  ])("accepts %s", (url) => {
    const r = checkGatewayUrl(url);
    expect(r.ok).toBe(true);
  });

  it.each([
    ["ws://8.8.8.8:18789", /Plaintext ws:\/\//],
    ["ws://gateway.example.com", /Plaintext ws:\/\//],
    ["ws://172.32.0.1", /Plaintext/],
    ["ws://100.128.0.1", /Plaintext/],
    ["ws://[2001:db8::1]", /Plaintext/],
    ["ws://[::ffff:8.8.8.8]", /Plaintext/],
    ["ws://foo.localhost", /Plaintext/],
    ["ws://evil.local.example.com", /Plaintext/],
    ["http://127.0.0.1:18789", /must start with ws:\/\/ or wss:\/\//],
    ["not a url", /not a valid URL/],
  ])("rejects %s", (url, message) => {
    const r = checkGatewayUrl(url);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("INSECURE_GATEWAY_URL");
      expect(r.message).toMatch(message);
    }
  });

  it("rejects credentials in the URL without echoing them", () => {
    const r = checkGatewayUrl("wss://user:s3cr3t-pass@gateway.example.com");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).not.toContain("s3cr3t-pass");
  });

  it("accepts a SHA-256 pin only with wss://", () => {
    const hex = "AB".repeat(32);
    const colons = Array(32).fill("ab").join(":");
    const ok = checkGatewayUrl("wss://gw.example.com", { tlsFingerprint: colons });
    expect(ok).toMatchObject({ ok: true, tlsFingerprint: "ab".repeat(32) });
    expect(checkGatewayUrl("wss://gw.example.com", { tlsFingerprint: `sha256:${hex}` })).toMatchObject({ ok: true, tlsFingerprint: "ab".repeat(32) });
    const ws = checkGatewayUrl("ws://127.0.0.1:1", { tlsFingerprint: hex });
    expect(ws).toMatchObject({ ok: false, code: "INSECURE_GATEWAY_URL" });
    expect(checkGatewayUrl("wss://gw.example.com", { tlsFingerprint: "abcd" })).toMatchObject({ ok: false });
    expect(checkGatewayUrl("wss://gw.example.com", { tlsFingerprint: null })).toMatchObject({ ok: true, tlsFingerprint: null });
  });

  it("normalizes fingerprints", () => {
    expect(normalizeTlsFingerprint(` SHA256:${"Cd".repeat(32)} `)).toBe("cd".repeat(32));
    expect(normalizeTlsFingerprint("zz".repeat(32))).toBeNull();
  });

  it("classifies hosts like OpenClaw's client", () => {
    expect(isTrustedPlaintextHost("LOCALHOST.")).toBe(true);
    expect(isTrustedPlaintextHost("my-mac.local.")).toBe(true);
    expect(isPrivateOrLoopbackIPv6("fec0::1")).toBe(true);
    expect(isPrivateOrLoopbackIPv6("2606:4700::1111")).toBe(false);
  });
});
