// Message templates in real Chromium against the real server: save the message box as a template
// on Send, fill it for one teammate (recipient and custom variables), and on Broadcast only
// recipient-independent templates can be chosen.
import type { Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser, signInToTeam } from "./browser.ts";

let srv: TestServer;
let browser: Browser;
let page: Page;

const nav = (label: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();

beforeAll(async () => {
  ensureWebBuild();
  srv = await startTestServer();
  await srv.addTeammate({ handle: "ann", name: "Ann Lee", displayName: "Annie", gatewayUrl: null });
  const key = await srv.adminKey();
  await srv.api("POST", "/api/v1/templates", { name: "freeze", body: "Deploy freeze from {{start}}" }, { key });
  browser = await launch();
  page = browser.page;
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  publishScreenshots(["desktop-send-template"]);
});

describe("templates", () => {
  it("on Send: saves the message as a template, then fills it for the teammate in To", async () => {
    await nav("Send");
    const picker = page.getByTestId("template-picker");
    await picker.locator("summary").click();
    const message = page.getByLabel("Message", { exact: true });
    await message.fill("Hi {{display_name}}, how is {{project}} going?");
    await picker.getByLabel("Save the message as template").fill("checkin");
    await picker.getByRole("button", { name: "Save as template" }).click();
    await picker.getByText('Saved as template "checkin".').waitFor();
    await message.fill("");
    await page.getByLabel("To", { exact: true }).fill("ann");
    await picker.getByLabel("{{project}}").fill("the migration");
    await picker.getByRole("button", { name: "Fill message" }).click();
    await picker.getByText('Filled from "checkin"').waitFor();
    expect(await message.inputValue()).toBe("Hi Annie, how is the migration going?");
    await screenshot(page, "desktop-send-template");
  });

  it("a missing value is named; nothing is filled", async () => {
    const picker = page.getByTestId("template-picker");
    await page.getByLabel("Message", { exact: true }).fill("keep me");
    await picker.getByLabel("{{project}}").fill("");
    await picker.getByRole("button", { name: "Fill message" }).click();
    await picker.getByText("Give a value for {{project}}").waitFor();
    expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe("keep me");
  });

  it("on Broadcast: per-recipient templates are disabled; a shared one fills the text", async () => {
    await nav("Broadcast");
    const picker = page.getByTestId("template-picker");
    await picker.locator("summary").click();
    const select = picker.getByLabel("Template", { exact: true });
    const disabled = await select.locator("option").evaluateAll((os) => os.filter((o) => (o as HTMLOptionElement).disabled).map((o) => o.textContent));
    expect(disabled).toEqual(["checkin (per-recipient variables: Send only)"]);
    await select.selectOption({ label: "freeze" });
    await picker.getByLabel("{{start}}").fill("17:00");
    await picker.getByRole("button", { name: "Fill message" }).click();
    await picker.getByText('Filled from "freeze"').waitFor();
    expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe("Deploy freeze from 17:00");
  });
});
