import { createHash, createPublicKey } from "node:crypto";
import { buildDeviceAuthPayloadV3 } from "@openclaw/gateway-client";
import { createGatewayConnector, createMemoryCredentialStore, generateDeviceIdentity } from "./index.ts";
import {
  deviceIdFromPublicKeyPem,
  isValidDeviceIdentity,
  publicKeyRawBase64UrlFromPem,
  signDevicePayload,
  verifyDevicePayload,
} from "./device-identity.ts";
import { startFakeGateway, type FakeGateway } from "../../test/support/fake-gateway.ts";

describe("device identity", () => {
  it("derives deviceId as sha256 of the raw Ed25519 public key", () => {
    const id = generateDeviceIdentity();
    const der = createPublicKey(id.publicKeyPem).export({ type: "spki", format: "der" });
    const raw = der.subarray(der.length - 32);
    expect(id.deviceId).toBe(createHash("sha256").update(raw).digest("hex"));
    expect(id.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(publicKeyRawBase64UrlFromPem(id.publicKeyPem)).toBe(raw.toString("base64url"));
    expect(deviceIdFromPublicKeyPem(id.publicKeyPem)).toBe(id.deviceId);
    expect(generateDeviceIdentity().deviceId).not.toBe(id.deviceId);
  });

  it("signs the v3 connect payload verifiably; tampering breaks it", () => {
    const id = generateDeviceIdentity();
    const payload = buildDeviceAuthPayloadV3({
      deviceId: id.deviceId,
      clientId: "gateway-client",
      clientMode: "backend",
      role: "operator",
      scopes: ["operator.read", "operator.write"],
      signedAtMs: 1_700_000_000_000,
      token: null,
      nonce: "n-1",
      platform: "linux",
    });
    const sig = signDevicePayload(id.privateKeyPem, payload);
    const pub = publicKeyRawBase64UrlFromPem(id.publicKeyPem);
    expect(verifyDevicePayload(pub, payload, sig)).toBe(true);
    expect(verifyDevicePayload(pub, payload.replace("n-1", "n-2"), sig)).toBe(false);
    expect(verifyDevicePayload(publicKeyRawBase64UrlFromPem(generateDeviceIdentity().publicKeyPem), payload, sig)).toBe(false);
  });

  it("rejects an identity whose keys do not belong together", () => {
    const a = generateDeviceIdentity();
    const b = generateDeviceIdentity();
    expect(isValidDeviceIdentity(a)).toBe(true);
    expect(isValidDeviceIdentity({ ...a, privateKeyPem: b.privateKeyPem })).toBe(false);
    expect(isValidDeviceIdentity({ ...a, deviceId: b.deviceId })).toBe(false);
  });

  describe("against a gateway that verifies signatures", () => {
    let gw: FakeGateway;
    beforeAll(async () => {
      gw = await startFakeGateway({ token: "t-identity" });
    });
    afterAll(() => gw.stop());

    it("creates and stores one identity per teammate, and the gateway accepts its signature", async () => {
      const creds = createMemoryCredentialStore({ gatewayTokens: { 1: "t-identity", 2: "t-identity" } });
      const c = createGatewayConnector({ credentials: creds });
      try {
        expect((await c.probe({ teammateId: 1, url: gw.url })).state).toBe("online");
        expect((await c.probe({ teammateId: 2, url: gw.url })).state).toBe("online");
        const id1 = creds.deviceIdentity(1);
        const id2 = creds.deviceIdentity(2);
        expect(id1 && id2).toBeTruthy();
        expect(id1?.deviceId).not.toBe(id2?.deviceId);
        const seen = gw.connects.filter((x) => x.ok).map((x) => x.deviceId);
        expect(seen).toEqual([id1?.deviceId, id2?.deviceId]);
        c.forget(1);
        await c.probe({ teammateId: 1, url: gw.url });
        expect(creds.deviceIdentity(1)).toEqual(id1); // reused, not regenerated
        expect(gw.connects.at(-1)?.deviceId).toBe(id1?.deviceId);
      } finally {
        await c.close();
      }
    });

    it("replaces a corrupted stored identity instead of presenting a bad signature", async () => {
      const creds = createMemoryCredentialStore({ gatewayTokens: { 3: "t-identity" } });
      const a = generateDeviceIdentity();
      const b = generateDeviceIdentity();
      creds.saveDeviceIdentity(3, { ...a, privateKeyPem: b.privateKeyPem });
      const c = createGatewayConnector({ credentials: creds });
      try {
        expect((await c.probe({ teammateId: 3, url: gw.url })).state).toBe("online");
        expect(creds.deviceIdentity(3)?.deviceId).not.toBe(a.deviceId);
      } finally {
        await c.close();
      }
    });
  });
});
