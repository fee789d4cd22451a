// Full device-pairing flow against a REAL OpenClaw gateway from a NON-loopback address: the
// gateway runs in one network namespace (bind "lan"), the connector in another (a child process
// holding its credentials in a state file), joined by a veth pair. Needs root and `ip` (CI has
// both); without them the suite fails with the reason instead of pretending to pass.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createNetnsPair, netnsSupport, runIn, startModelServerIn, type NetnsPair } from "../support/netns.ts";
import { ensureOpenClaw, startOpenClawGateway, type RunningGateway } from "../support/openclaw-gateway.ts";

const support = netnsSupport();
const ROOT = path.resolve(import.meta.dirname, "../..");

describe("device pairing from a non-loopback address", () => {
  let pair: NetnsPair | undefined;
  let model: { baseUrl: string; stop(): Promise<void> } | undefined;
  let gw: RunningGateway | undefined;
  let node = process.execPath;
  let dir = "";
  let stateFile = "";

  beforeAll(async () => {
    if (!support.ok) throw new Error(`pairing interop test cannot run: ${support.reason}`);
    node = (await ensureOpenClaw()).node;
    pair = await createNetnsPair();
    model = await startModelServerIn(pair, pair.gatewayNs, node, path.join(ROOT, "test/support/fake-model-server.ts"));
    gw = await startOpenClawGateway({ modelBaseUrl: model.baseUrl, netns: pair.gatewayNs, advertiseHost: pair.gatewayIp });
    dir = mkdtempSync(path.join(tmpdir(), "tm-pairing-"));
    stateFile = path.join(dir, "credentials.json");
  });

  afterAll(async () => {
    await gw?.stop();
    await model?.stop();
    await pair?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function client(...args: string[]) {
    if (!pair || !gw) throw new Error("not set up");
    const r = await runIn(pair, pair.clientNs, node, [path.join(ROOT, "test/support/pairing-client.ts"), stateFile, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", TM_GATEWAY_TOKEN: gw.token },
      timeoutMs: 90_000,
    });
    if (r.code !== 0) throw new Error(`pairing client failed (${r.code}): ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as {
      result: Record<string, unknown> & { state?: string; outcome?: string };
      hasDeviceToken: boolean;
      deviceTokenScopes: string[] | null;
      hasSharedToken: boolean;
    };
  }

  it("PAIRING_REQUIRED → openclaw devices approve → device token → device token alone", async () => {
    if (!gw || !pair) throw new Error("not set up");
    expect(gw.url).toBe(`ws://${pair.gatewayIp}:${gw.port}`);

    // 1. first contact from the other namespace: the gateway wants to pair this device
    const first = await client("probe", gw.url);
    expect(first.result).toMatchObject({ state: "pairing_required", paired: false, error: { code: "PAIRING_REQUIRED" } });
    const pairing = first.result.pairing as { requestId: string; approveCommand: string };
    expect(pairing.requestId).toBeTruthy();
    expect(pairing.approveCommand).toBe(`openclaw devices approve ${pairing.requestId}`);
    expect(first.hasDeviceToken).toBe(false);
    expect(JSON.stringify(first)).not.toContain(gw.token);

    const blocked = await client("send", gw.url, "before approval");
    expect(blocked.result).toMatchObject({ outcome: "error", error: { code: "PAIRING_REQUIRED" } });

    // 2. the operator approves with the gateway's own CLI, on the gateway's machine, typing the
    // command the hint shows (no --url: the CLI reads the gateway from its config). With an explicit
    // --url, 2026.6 refuses: the CLI's own device, paired silently on its first connect, needs a
    // scope upgrade to approve, and 2026.6 never approves scope upgrades silently (2026.9 does for
    // shared-token loopback clients); only the no---url form may fall back to local pairing state.
    const approve = await gw.cli(["devices", "approve", pairing.requestId], { local: true });
    expect(approve.code, `${approve.stdout}\n${approve.stderr}`).toBe(0);

    // 3. the next connect succeeds and stores the issued device token
    const second = await client("probe", gw.url);
    expect(second.result).toMatchObject({ state: "online", paired: true });
    expect(second.result.scopes).toEqual(expect.arrayContaining(["operator.read", "operator.write"]));
    expect(second.hasDeviceToken).toBe(true);
    expect(second.deviceTokenScopes).toEqual(expect.arrayContaining(["operator.write"]));

    // 4. without the shared token: the device token alone connects and the agent answers
    await client("drop-shared-token");
    const third = await client("send", gw.url, "paired <i>hello</i> from the other namespace");
    expect(third.hasSharedToken).toBe(false);
    expect(third.result).toMatchObject({ outcome: "replied", reply: "paired <i>hello</i> from the other namespace" });
    expect(third.hasDeviceToken).toBe(true);
  });
});
