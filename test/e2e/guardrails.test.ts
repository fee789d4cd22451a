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
const AWS_ID = "AKIA" + "Z7QW3RTY5UIOPA2S";
const OPERATOR_PASSWORD = "olga-password-e2e-1";

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

describe("secret override in the dashboard", () => {
  it("admin: the refusal lists the masked AWS key; Send anyway after the confirm delivers it and audits the override", async () => {
    gw.received.length = 0;
    await nav("Send");
    await page.getByLabel("To", { exact: true }).fill("ann");
    await page.getByLabel("Message", { exact: true }).fill(`use ${AWS_ID} for the deploy`);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const note = page.getByRole("alert").filter({ hasText: "SECRET_DETECTED" });
    await note.waitFor();
    const text = (await note.textContent()) ?? "";
    expect(text).toContain("AWS access key id: AKIA****************");
    expect(text).toContain("rule aws/AWSAccessKeyID");
    expect(text).not.toContain(AWS_ID);
    await note.getByRole("button", { name: "Send anyway" }).click();
    await note.getByRole("button", { name: "Yes, send anyway" }).click();
    await page.locator('.message-view[data-status="replied"]').waitFor({ timeout: 20_000 });
    expect(gw.received).toEqual([`use ${AWS_ID} for the deploy`]);
    const audit = await srv.api("GET", "/api/v1/audit?kind=guard", undefined, { key: await srv.adminKey() });
    const override = audit.body.items.find((e: { details: { action?: string } }) => e.details.action === "secret_override");
    expect(override).toMatchObject({ kind: "guard", actor: "user:admin", teammate: "ann", outcome: "ok" });
    expect(JSON.stringify(audit.body)).not.toContain(AWS_ID);
  });

  it("admin, conversation view: the composer lists the masked finding; Send anyway delivers the refused text", async () => {
    gw.received.length = 0;
    await page.goto(`${srv.url}/#/team/ann/conversation`);
    const composer = page.getByRole("form", { name: "Reply in this conversation" });
    await composer.getByLabel("Message").fill(`key ${AWS_ID} again`);
    await composer.getByRole("button", { name: "Send", exact: true }).click();
    const note = page.getByRole("alert").filter({ hasText: "SECRET_DETECTED" });
    await note.waitFor();
    const text = (await note.textContent()) ?? "";
    expect(text).toContain("AWS access key id: AKIA****************");
    expect(text).not.toContain(AWS_ID);
    expect(gw.received).toEqual([]);
    await note.getByRole("button", { name: "Send anyway" }).click();
    await note.getByRole("button", { name: "Yes, send anyway" }).click();
    await page.locator(".history .message-view", { hasText: `re: key ${AWS_ID} again` }).waitFor({ timeout: 20_000 });
    expect(gw.received).toEqual([`key ${AWS_ID} again`]);
    expect(await page.getByRole("alert").filter({ hasText: "SECRET_DETECTED" }).count()).toBe(0);
  });

  it("operator: the same refusal and no Send anyway", async () => {
    const created = await srv.api("POST", "/api/v1/users", { username: "olga", password: OPERATOR_PASSWORD, role: "operator" }, { key: await srv.adminKey() });
    expect(created.status).toBe(201);
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInToTeam(page, srv.url, "olga", OPERATOR_PASSWORD);
    gw.received.length = 0;
    await nav("Send");
    await page.getByLabel("To", { exact: true }).fill("ann");
    await page.getByLabel("Message", { exact: true }).fill(`use ${AWS_ID} for the deploy`);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const note = page.getByRole("alert").filter({ hasText: "SECRET_DETECTED" });
    await note.waitFor();
    expect(await note.textContent()).toContain("Only an admin can send a message the scanner blocks.");
    expect(await page.getByRole("button", { name: /anyway/ }).count()).toBe(0);
    expect(gw.received).toEqual([]);
  });
});
