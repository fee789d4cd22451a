// More dashboard flows in real Chromium against the real server: importing the old skill's
// files, pairing instructions + re-check, a timed-out send and its late reply (with the reply
// streaming in), a broadcast created by an agent's requester key and confirmed by a human,
// a role that may not confirm, and an unreachable gateway that ends in an error, not a spinner.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, screenshot, type Browser } from "./browser.ts";

let srv: TestServer;
let browser: Browser;
let page: Page;
const gws: FakeGateway[] = [];

async function gateway(opts: Parameters<typeof startFakeGateway>[0]): Promise<FakeGateway> {
  const g = await startFakeGateway(opts);
  gws.push(g);
  return g;
}

async function nav(label: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
}

beforeAll(async () => {
  ensureWebBuild();
  srv = await startTestServer();
  browser = await launch();
  page = browser.page;
  await page.goto(srv.url);
  await page.getByLabel("Username", { exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  // signing in lands on the home page
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team", exact: true }).click();
  await page.getByRole("heading", { name: "Team", exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  for (const g of gws) await g.stop();
});

describe("more dashboard flows", () => {
  it("imports registry.json + tokens.json and shows the report", async () => {
    const erin = await gateway({ token: "tok-erin-0123456789" });
    const port = new URL(erin.url).port;
    const registry = {
      gatewayUrlPattern: `ws://{ip}:${port}`,
      agents: [
        { name: "Erin", emailPrefix: "erin", ip: "127.0.0.1", note: "imported" },
        { name: "Bad", emailPrefix: "-bad-" },
      ],
    };
    const tokens = { tokens: { erin: "tok-erin-0123456789" } };
    await page.getByRole("button", { name: "Import…" }).click();
    await page.getByLabel("registry.json", { exact: true }).setInputFiles({ name: "registry.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(registry)) });
    await page.getByLabel("tokens.json (optional)", { exact: true }).setInputFiles({ name: "tokens.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(tokens)) });
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const report = page.locator(".report");
    await report.waitFor();
    const text = await report.textContent();
    expect(text).toMatch(/Created:\s*erin/);
    expect(text).toMatch(/Tokens set:\s*erin/);
    expect(text).toContain("-bad-");
    await page.locator('tr[data-handle="erin"]').waitFor();
    await screenshot(page, "desktop-import");
    await page.getByRole("button", { name: "Close" }).click();
  });

  it("a file that is not JSON is reported next to the import form", async () => {
    await page.getByRole("button", { name: "Import…" }).click();
    await page.getByLabel("registry.json", { exact: true }).setInputFiles({ name: "registry.json", mimeType: "application/json", buffer: Buffer.from("{nope") });
    await page.getByRole("button", { name: "Import", exact: true }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("registry.json is not valid JSON.");
    await page.getByRole("button", { name: "Close" }).click();
  });

  it("shows pairing instructions with the exact approval command, and re-checks", async () => {
    const frank = await gateway({ token: "tok-frank-0123456789", faults: { pairingRequired: true } });
    await srv.addTeammate({ handle: "frank", name: "Frank", gatewayUrl: frank.url, token: "tok-frank-0123456789" });
    await page.reload();
    await page.locator('tr[data-handle="frank"]').waitFor();
    await page.getByRole("button", { name: "Check frank now" }).click();
    await page.locator('tr[data-handle="frank"] .badge[data-status="pairing_required"]').waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Details for frank" }).click();
    const details = page.getByRole("region", { name: "Teammate frank" });
    const cmd = details.locator(".pairing .command code");
    await cmd.waitFor();
    const requestId = frank.pendingPairings()[0];
    expect(requestId).toBeTruthy();
    expect(await cmd.textContent()).toBe(`openclaw devices approve ${requestId}`);
    expect(await details.getByRole("button", { name: "Copy command" }).isVisible()).toBe(true);
    await screenshot(page, "desktop-pairing");
    frank.approve(requestId!);
    await details.getByRole("button", { name: "Re-check pairing" }).click();
    await page.locator('tr[data-handle="frank"] .badge[data-status="online"]').waitFor({ timeout: 20_000 });
    await details.getByRole("button", { name: "Close" }).click();
  });

  it("a timed-out send offers 'fetch late reply', which brings the reply", async () => {
    const gina = await gateway({ token: "tok-gina-0123456789", reply: (m) => `gina: ${m}` });
    await srv.addTeammate({ handle: "gina", name: "Gina", gatewayUrl: gina.url, token: "tok-gina-0123456789" });
    await nav("Send");
    await page.getByLabel("To", { exact: true }).fill("gina");
    await page.getByLabel("Timeout (seconds)", { exact: true }).fill("1");
    await page.getByLabel("Message", { exact: true }).fill("[[delay:1500]]slow question");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    // the half-way delta streams in before the timeout
    await page.locator(".message-view pre.streaming").waitFor({ timeout: 10_000 });
    const view = page.locator('.message-view[data-status="timeout"]');
    await view.waitFor({ timeout: 20_000 });
    expect(await view.locator(".error-inline").first().textContent()).toMatch(/No reply within 1 s|GATEWAY_TIMEOUT/);
    expect(await view.locator("pre.streaming").textContent()).toBe("gina: slow question".slice(0, Math.ceil("gina: slow question".length / 2)));
    await screenshot(page, "desktop-send-timeout");
    await page.waitForTimeout(1500); // the run finishes on the gateway
    await view.getByRole("button", { name: "Fetch late reply" }).click();
    const replied = page.locator('.message-view[data-status="replied"]');
    await replied.waitFor({ timeout: 20_000 });
    expect(await replied.getByLabel("Reply", { exact: true }).textContent()).toBe("gina: slow question");
  });

  it("an unreachable gateway ends in a visible error, not an endless spinner", async () => {
    await srv.addTeammate({ handle: "hank", name: "Hank", gatewayUrl: "ws://127.0.0.1:9", token: "tok-hank-0123456789" });
    await page.reload();
    await page.getByLabel("To", { exact: true }).fill("hank");
    await page.getByLabel("Timeout (seconds)", { exact: true }).fill("5");
    await page.getByLabel("Message", { exact: true }).fill("anyone home?");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const view = page.locator('.message-view[data-status="unreachable"]');
    await view.waitFor({ timeout: 30_000 });
    expect(await view.locator(".error-inline code").first().textContent()).toBe("GATEWAY_UNREACHABLE");
  });

  it("a broadcast created by an agent's requester key waits for a human, who confirms it", async () => {
    const key = await srv.keyFor("requester");
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "Agent asks: lunch at 12?", timeoutSec: 10 }, { key });
    expect(created.status).toBe(201);
    expect(created.body.confirmationToken).toBeNull(); // a requester cannot confirm
    const id = created.body.id as string;
    const expected = (created.body.recipients as { handle: string }[]).map((r) => r.handle).sort();
    await nav("Broadcast");
    const row = page.locator(`li[data-broadcast-id="${id}"]`);
    await row.waitFor();
    await row.getByRole("link").click();
    const confirm = page.getByRole("region", { name: "Confirm broadcast" });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain("API key");
    const listed = await confirm.locator('[data-testid="recipients"] li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.handle));
    expect(listed.sort()).toEqual(expected);
    await confirm.getByRole("button", { name: `Send to ${expected.length} agents` }).click();
    await page.locator(".board").waitFor();
    await page.waitForFunction(
      (n) => document.querySelectorAll(".board-table tbody tr").length === n && !document.querySelector('.board-table tr[data-status="queued"], .board-table tr[data-status="sending"]'),
      expected.length,
      { timeout: 40_000 },
    );
    for (const g of gws) {
      const got = g.received.filter((m) => m === "Agent asks: lunch at 12?").length;
      expect(got).toBeLessThanOrEqual(1);
    }
    const confirmedBy = await page.locator(".board").textContent();
    expect(confirmedBy).toContain("confirmed by admin");
  });

  it("an auditor sees no Send/Broadcast/API keys in the nav", async () => {
    const cookie = await srv.login();
    const res = await srv.api("POST", "/api/v1/users", { username: "audrey", password: "audrey-password-0", role: "auditor" }, { cookie });
    expect(res.status).toBe(201);
    const b = await launch({ width: 1280, height: 800 });
    try {
      const p = b.page;
      await p.goto(srv.url);
      await p.getByLabel("Username", { exact: true }).fill("audrey");
      await p.getByLabel("Password", { exact: true }).fill("audrey-password-0");
      await p.getByRole("button", { name: "Sign in" }).click();
      const navEl = p.getByRole("navigation", { name: "Main" });
      await navEl.waitFor();
      const links = await navEl.getByRole("link").allTextContents();
      expect(links).toEqual(["Home", "Team", "Audit", "API"]);
      expect(await p.getByRole("button", { name: "Add teammate" }).count()).toBe(0);
      expect(await p.getByRole("button", { name: /Check/ }).count()).toBe(0);
      await p.goto(`${srv.url}/#/keys`);
      await p.getByText("cannot open this page").waitFor();
      // The API reference renders the server's own OpenAPI document, served locally.
      await p.goto(`${srv.url}/api/docs`);
      await p.locator(".swagger-ui .info .title").filter({ hasText: "Team Mesh" }).waitFor();
      expect(await p.locator(".opblock-tag", { hasText: "broadcasts" }).count()).toBe(1);
    } finally {
      await b.close();
    }
  });
});
