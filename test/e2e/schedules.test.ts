// Scheduled broadcasts in real Chromium against the real server: the next-runs preview follows the
// cron field (and names a bad expression), a schedule is created for a group, an admin
// pre-approves it; Edit fills the form and saves (a new time keeps the pre-approval, a new text
// ends it); a one-off run shows up as a broadcast awaiting confirmation.
import type { Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser, signInToTeam } from "./browser.ts";

let srv: TestServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureWebBuild();
  srv = await startTestServer({ env: { MESH_SCHEDULE_TICK_MS: "200" } });
  await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: "ws://127.0.0.1:9", token: "tok-sched-e2e", tags: ["backend"] });
  browser = await launch();
  page = browser.page;
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Broadcast", exact: true }).click();
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  publishScreenshots(["desktop-schedule-preview"]);
});

describe("scheduled broadcasts", () => {
  it("previews the next runs as the cron changes, names a bad one, and creates the schedule", async () => {
    const panel = page.getByRole("region", { name: "Scheduled broadcasts" });
    await panel.waitFor();
    await panel.getByLabel("Time zone", { exact: true }).fill("Europe/Berlin");
    await panel.getByLabel("Cron", { exact: true }).fill("30 8 * * 1");
    const next = panel.getByTestId("next-runs");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="next-runs"] li').length === 5 && document.querySelector('[data-testid="next-runs"] li')?.textContent?.includes("08:30"));
    for (const text of await next.locator("li").allTextContents()) expect(text).toMatch(/^Mon, .* 08:30 \(Europe\/Berlin\)$/);
    await panel.getByLabel("Cron", { exact: true }).fill("61 * * * *");
    await panel.getByText("not a cron expression").waitFor();
    await panel.getByLabel("Cron", { exact: true }).fill("30 8 * * 1");
    await next.waitFor();
    await panel.getByLabel("Schedule name", { exact: true }).fill("weekly backend sync");
    await panel.getByLabel("Schedule for", { exact: true }).selectOption("backend");
    await panel.getByLabel("Scheduled message", { exact: true }).fill("Weekly sync: what is blocked?");
    await screenshot(page, "desktop-schedule-preview");
    await panel.getByRole("button", { name: "Create schedule" }).click();
    const item = panel.locator("[data-schedule-id]", { hasText: "weekly backend sync" });
    await item.waitFor();
    expect(await item.textContent()).toContain("cron 30 8 * * 1 (Europe/Berlin) · @backend");
    expect(await item.textContent()).toContain("each run needs confirmation");
    await item.getByRole("button", { name: "Pre-approve" }).click();
    await item.getByText("pre-approved for ann by admin").waitFor();
  });

  it("Edit fills the form and saves with PATCH: a new time keeps the pre-approval, a new text ends it; Pause and Resume", async () => {
    const panel = page.getByRole("region", { name: "Scheduled broadcasts" });
    const item = panel.locator("[data-schedule-id]", { hasText: "weekly backend sync" });
    await item.getByRole("button", { name: "Edit" }).click();
    const form = panel.getByRole("form", { name: "Edit scheduled broadcast" });
    await form.waitFor();
    expect(await form.getByLabel("Scheduled message", { exact: true }).inputValue()).toBe("Weekly sync: what is blocked?");
    expect(await form.getByLabel("Cron", { exact: true }).inputValue()).toBe("30 8 * * 1");
    expect(await form.getByLabel("Time zone", { exact: true }).inputValue()).toBe("Europe/Berlin");
    await form.getByLabel("Cron", { exact: true }).fill("0 10 * * 2");
    await form.getByRole("button", { name: "Save changes" }).click();
    await item.getByText("cron 0 10 * * 2 (Europe/Berlin)").waitFor();
    expect(await item.textContent()).toContain("pre-approved for ann by admin");
    await panel.getByRole("form", { name: "New scheduled broadcast" }).waitFor();
    await item.getByRole("button", { name: "Edit" }).click();
    await form.getByLabel("Scheduled message", { exact: true }).fill("Weekly sync: anything blocked?");
    await form.getByRole("button", { name: "Save changes" }).click();
    await item.getByText("each run needs confirmation").waitFor();
    const key = await srv.adminKey();
    const stored = (await srv.api("GET", "/api/v1/schedules", undefined, { key })).body.items.find((x: { name: string }) => x.name === "weekly backend sync");
    expect(stored).toMatchObject({ message: "Weekly sync: anything blocked?", cron: "0 10 * * 2", tags: ["backend"], approval: null });
    await item.getByRole("button", { name: "Pause" }).click();
    await item.getByText("next: none").waitFor();
    expect(await item.textContent()).toContain("paused");
    await item.getByRole("button", { name: "Resume" }).click();
    await item.getByRole("button", { name: "Pause" }).waitFor();
    expect(await item.textContent()).not.toContain("next: none");
  });

  it("a one-off schedule's run appears as a broadcast awaiting confirmation", async () => {
    const key = await srv.adminKey();
    const runAt = new Date(Date.now() + 300).toISOString();
    const created = await srv.api("POST", "/api/v1/schedules", { name: "soon", message: "Scheduled: standup now", runAt }, { key });
    expect(created.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1000));
    await page.reload();
    const awaiting = page.getByRole("region", { name: /Awaiting confirmation/ });
    await awaiting.getByRole("link", { name: "Scheduled: standup now" }).waitFor();
  });
});
