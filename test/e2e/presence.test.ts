// Presence on the Team page in real Chromium against the real server (sweep every second):
// the status/latency timeline and gateway details of a teammate, the untested-version warning,
// and a gateway that refused the token: guidance shown, automatic checks paused, status "stale".
import type { Page } from "playwright-core";
import { TESTED_GATEWAY_VERSIONS } from "../../shared/gateway-versions.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, until, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, screenshot, type Browser, signInToTeam } from "./browser.ts";

const TOKEN = "tok-presence-e2e-4242";
let srv: TestServer;
let gw: FakeGateway;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureWebBuild();
  gw = await startFakeGateway({ token: TOKEN });
  srv = await startTestServer({ env: { MESH_PRESENCE_INTERVAL_SECONDS: "1", MESH_PING_TIMEOUT_SEC: "1" } });
  await srv.addTeammate({ handle: "up", name: "Up", gatewayUrl: gw.url, token: TOKEN });
  await srv.addTeammate({ handle: "locked", name: "Locked", gatewayUrl: gw.url, token: "not-the-token" });
  const key = await srv.adminKey();
  await until(
    () => srv.api("GET", "/api/v1/teammates/locked", undefined, { key }),
    (r) => r.body.status.state === "auth_failed",
  );
  browser = await launch();
  page = browser.page;
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await gw?.stop();
});

describe("presence on the Team page", () => {
  it("row detail: timeline of checks, version and protocol, granted scopes, untested-version warning", async () => {
    await page.getByRole("button", { name: "Details for up" }).click();
    const details = page.getByRole("region", { name: "Teammate up" });
    await details.waitFor();
    // the sweep adds checks; the timeline reloads with each
    await details.locator('.timeline-bars .bar[data-state="online"]').nth(1).waitFor({ timeout: 15_000 });
    expect(await details.locator(".gateway-version").textContent()).toMatch(/fake-2026\.9, protocol \d+/);
    expect(await details.locator(".gateway-version [role=note]").textContent()).toContain(`Untested version: Team Mesh is tested with OpenClaw ${TESTED_GATEWAY_VERSIONS.min} … ${TESTED_GATEWAY_VERSIONS.max}`);
    expect(await details.textContent()).toContain("operator.write");
    expect(await page.locator('tr[data-handle="up"] .freshness').getAttribute("data-stale")).toBe("false");
    await screenshot(page, "desktop-presence-timeline");
    await page.getByRole("button", { name: "Close" }).click();
  });

  it("refused credentials: what to do, checks paused, and the old status marked stale", async () => {
    await page.getByRole("button", { name: "Details for locked" }).click();
    const details = page.getByRole("region", { name: "Teammate locked" });
    const help = details.getByRole("note", { name: "Credentials refused" });
    await help.waitFor();
    const text = await help.textContent();
    expect(text).toContain("openclaw devices rotate");
    expect(text).toContain("openclaw devices approve");
    expect(text).toContain("paste a new gateway token");
    await details.locator('.timeline-bars .bar[data-state="auth_failed"]').first().waitFor();
    // never re-checked by the sweep: after interval + jitter + timeout (2.1 s) it says so
    const row = page.locator('tr[data-handle="locked"] .freshness[data-stale="true"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toMatch(/checked .* — stale \(automatic checks paused\)/);
    expect(gw.connects.filter((c) => !c.ok)).toHaveLength(1);
    await screenshot(page, "desktop-presence-auth-failed");
  });
});
