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
let gw2: FakeGateway;
const TOKEN2 = "tok-agents-e2e-find-8804";

beforeAll(async () => {
  ensureWebBuild();
  gw = await startFakeGateway({
    token: TOKEN,
    agents: [{ id: "main", name: "Ada", emoji: "🦊" }, { id: "research", name: "Rex", emoji: "🔬" }, { id: "ops", name: "Opsy" }],
    reply: (m, ctx) => `${ctx.agentId}: ${m}`,
  });
  // a gateway without a "main" agent: its default is "ops"
  gw2 = await startFakeGateway({ token: TOKEN2, agents: [{ id: "ops", name: "Opsy", emoji: "🛠" }, { id: "research", name: "Rex", emoji: "🔬" }] });
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
  await gw2?.stop();
  publishScreenshots(["desktop-agents-offer", "desktop-agents-find"]);
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

  it("from a gateway URL and token: Add and find agents adds the first entry on the default agent and offers the others", async () => {
    await page.getByRole("button", { name: "Add teammate" }).click();
    const form = page.getByRole("form", { name: "Add teammate" });
    await form.getByLabel("Handle", { exact: true }).fill("dana");
    await form.getByLabel("Name", { exact: true }).fill("Dana");
    await form.getByRole("button", { name: "Add and find agents" }).click();
    // URL and token are needed first
    await form.getByText("Finding agents needs the gateway URL.").waitFor();
    await form.getByLabel("Gateway URL", { exact: true }).fill(gw2.url);
    await form.getByLabel("Gateway token (write-only)", { exact: true }).fill(TOKEN2);
    await form.getByRole("button", { name: "Add and find agents" }).click();
    const panel = page.getByLabel("Agents on dana's gateway");
    await panel.getByText("now addresses its default agent").waitFor();
    await expect(panel.locator('li[data-agent="ops"]').textContent()).resolves.toContain("already @dana");
    await panel.getByRole("button", { name: "Add this agent" }).waitFor();
    // the token typed is nowhere on the page
    expect(await page.content()).not.toContain(TOKEN2);
    await screenshot(page, "desktop-agents-find");
    await panel.getByRole("button", { name: "Add this agent" }).click();
    await panel.getByRole("status").filter({ hasText: "Added @dana-research" }).waitFor();
    const key = await srv.keyFor("operator");
    const res = await srv.api("GET", "/api/v1/teammates/dana", undefined, { key });
    expect([res.body.agentId, res.body.credential.set]).toEqual(["ops", true]);
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
