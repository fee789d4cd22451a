// The secret scanner in the dashboard, real Chromium against the real server: the Send page's
// dry run warns with the masked match, Send and Broadcast are refused with the findings listed,
// and nothing reaches the gateway.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, screenshot, type Browser, signInToTeam } from "./browser.ts";

const TOKEN = "gw-token-e2e-guard-77";
// built at run time: no literal secret in the repository
const GHP = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5";

let srv: TestServer;
let gw: FakeGateway;
let browser: Browser;
let page: Page;

const nav = (label: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();

beforeAll(async () => {
  ensureWebBuild();
  gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
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
});

describe("secret scanning in the dashboard", () => {
  it("Send: the dry run warns with the masked match; Send is refused with the findings listed", async () => {
    await nav("Send");
    await page.getByLabel("To", { exact: true }).fill("ann");
    await page.getByLabel("Message", { exact: true }).fill(`deploy token ${GHP}`);
    await page.getByRole("button", { name: "Dry run" }).click();
    const warning = page.locator(".warnings li", { hasText: "SECRET_DETECTED" });
    await warning.waitFor();
    expect(await warning.textContent()).toContain("GitHub token (ghp_***");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const note = page.getByRole("alert").filter({ hasText: "SECRET_DETECTED" });
    await note.waitFor();
    const text = (await note.textContent()) ?? "";
    expect(text).toContain("looks like a secret");
    expect(text).toContain("GitHub token: ghp_****");
    expect(text).not.toContain(GHP);
    await screenshot(page, "desktop-send-secret-blocked");
    expect(gw.received).toEqual([]);
  });

  it("Broadcast: review is refused with the findings listed; nothing is created or sent", async () => {
    await nav("Broadcast");
    await page.getByLabel("Message", { exact: true }).fill(`everyone use ${GHP}`);
    await page.getByRole("button", { name: "Review recipients" }).click();
    const note = page.getByRole("alert").filter({ hasText: "SECRET_DETECTED" });
    await note.waitFor();
    expect(await note.textContent()).toContain("GitHub token: ghp_****");
    expect(await page.getByRole("region", { name: "Confirm broadcast" }).count()).toBe(0);
    const list = await srv.api("GET", "/api/v1/broadcasts", undefined, { key: await srv.adminKey() });
    expect(list.body.items).toEqual([]);
    expect(gw.received).toEqual([]);
  });
});
