// Agents on one gateway, in real Chromium against the real server: the Team page discovers the
// gateway's agents from a teammate's details, "Add these 2 agents" creates one entry per agent
// (shown with its emoji and agent id), and a send to a new entry gets that agent's reply.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser, signInToTeam } from "./browser.ts";

const TOKEN = "tok-agents-e2e-5521";
let srv: TestServer;
let browser: Browser;
let page: Page;
let gw: FakeGateway;

beforeAll(async () => {
  ensureWebBuild();
  gw = await startFakeGateway({
    token: TOKEN,
    agents: [{ id: "main", name: "Ada", emoji: "🦊" }, { id: "research", name: "Rex", emoji: "🔬" }, { id: "ops", name: "Opsy" }],
    reply: (m, ctx) => `${ctx.agentId}: ${m}`,
  });
  srv = await startTestServer();
  await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gw.url, token: TOKEN });
  browser = await launch();
  page = browser.page;
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await gw?.stop();
  publishScreenshots(["desktop-agents-offer"]);
});

describe("agents on a gateway", () => {
  it("discovers the gateway's agents and adds the chosen ones as teammates", async () => {
    await page.getByRole("button", { name: "Details for ann" }).click();
    const panel = page.getByLabel("Agents on ann's gateway");
    await panel.locator('li[data-agent="research"]').waitFor();
    // the default agent is already "ann"; the other two are offered
    await expect(panel.locator('li[data-agent="main"]').textContent()).resolves.toContain("already @ann");
    const add = panel.getByRole("button", { name: "Add these 2 agents" });
    await add.waitFor();
    // unticking one changes the offer
    await panel.locator('li[data-agent="ops"] input[type="checkbox"]').uncheck();
    await panel.getByRole("button", { name: "Add this agent" }).waitFor();
    await panel.locator('li[data-agent="ops"] input[type="checkbox"]').check();
    await screenshot(page, "desktop-agents-offer");
    await add.click();
    await panel.getByRole("status").filter({ hasText: "Added @ann-research, @ann-ops" }).waitFor();
    await panel.getByText("Every agent of this gateway has an entry.").waitFor();

    const row = page.locator('tr[data-handle="ann-research"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain("🔬");
    await expect(row.textContent()).resolves.toContain("research");
    await expect(row.textContent()).resolves.toContain("Rex");
    await expect(page.locator('tr[data-handle="ann-ops"]').textContent()).resolves.toContain("Opsy");
    await screenshot(page, "desktop-agents-added");

    // the new entry addresses its own agent on the shared gateway
    const key = await srv.keyFor("operator");
    const res = await srv.api("POST", "/api/v1/messages", { to: "ann-research", message: "hi", fallback: false }, { key });
    expect(res.body.exchanges[0].reply).toBe("research: hi");
  });

  it("a gateway that refuses the token shows the error, not a spinner", async () => {
    await srv.addTeammate({ handle: "wrong", name: "Wrong", gatewayUrl: gw.url, token: "not-the-token" });
    // the check on create finds the token refused
    for (let i = 0; i < 200; i++) {
      const t = await srv.api("GET", "/api/v1/teammates/wrong");
      if (t.body.status?.state === "auth_failed") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.reload();
    await page.getByRole("heading", { name: "Team", exact: true }).waitFor();
    await page.getByRole("button", { name: "Details for wrong" }).click();
    const panel = page.getByLabel("Agents on wrong's gateway");
    // not asked again by itself: only Refresh tries, once
    await panel.getByText("The gateway refused these credentials").waitFor();
    await expect(panel.getByText("AUTH_FAILED").count()).resolves.toBe(0);
    await panel.getByRole("button", { name: "Refresh" }).click();
    await panel.getByText("AUTH_FAILED").waitFor();
    await expect(panel.locator("li[data-agent]").count()).resolves.toBe(0);
  });
});
