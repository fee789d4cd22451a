// Issue 13 in real Chromium against the real server: a broadcast's answers compared (groups,
// counts, status filter, copy all, the CSV / Markdown export), the board's wording after
// failures, the cancel confirmation step, and the audit date on one line.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser, signInToTeam } from "./browser.ts";

const TOKEN = "tok-compare-e2e-4411";
let srv: TestServer;
let browser: Browser;
let page: Page;
let held: FakeGateway;
const gws: FakeGateway[] = [];

async function nav(label: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
}

async function broadcastFromUi(text: string, timeoutSec: number): Promise<void> {
  await nav("Broadcast");
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Timeout per agent (seconds)", { exact: true }).fill(String(timeoutSec));
  await page.getByRole("button", { name: "Review recipients" }).click();
  const confirm = page.getByRole("region", { name: "Confirm broadcast" });
  await confirm.getByRole("button", { name: "Send to 4 agents" }).click();
  await page.locator(".board").waitFor();
}

beforeAll(async () => {
  ensureWebBuild();
  for (const reply of ["Yes, ship it.", "yes ship it", "No: the migration is not done"]) gws.push(await startFakeGateway({ token: TOKEN, reply: () => reply }));
  held = await startFakeGateway({ token: TOKEN, faults: { holdRuns: true } });
  gws.push(held);
  srv = await startTestServer();
  for (const [i, h] of ["ann", "bob", "cy", "dee"].entries()) await srv.addTeammate({ handle: h, name: h.toUpperCase(), gatewayUrl: gws[i]!.url, token: TOKEN });
  browser = await launch();
  page = browser.page;
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: srv.url });
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  for (const g of gws) await g.stop();
  publishScreenshots(["desktop-broadcast-answers"]);
});

describe("answers side by side", () => {
  it("groups the answers, filters by status, copies all and exports CSV / Markdown; the board says what failed", async () => {
    await broadcastFromUi("Ship on Friday?", 3);
    // dee's run is held: it times out after 3 s
    const board = page.locator(".board");
    await board.locator(".panel-head .badge", { hasText: "finished — 1 failed" }).waitFor({ timeout: 30_000 });
    expect(await board.getByText(/4 of 4 finished — 1 failed\./).count()).toBe(1);
    expect(await board.getByRole("button", { name: "Collect late reply (1 timed out)" }).isVisible()).toBe(true);
    expect(await board.locator("#retry-hint").textContent()).toContain("collects the late reply of that same run");

    const answers = page.getByRole("region", { name: "Answers compared" });
    await answers.waitFor();
    expect(await answers.getByTestId("answers-summary").textContent()).toBe("3 answers in 2 groups; 1 recipient without an answer.");
    const groups = answers.getByRole("list", { name: "Answer groups, largest first" }).getByRole("listitem");
    expect(await groups.count()).toBe(2);
    expect(await groups.nth(0).getAttribute("data-count")).toBe("2");
    expect(await groups.nth(0).textContent()).toContain("@ann, @bob");
    expect(await answers.getByTestId("no-answer").textContent()).toContain("@dee");
    await screenshot(page, "desktop-broadcast-answers");

    await answers.getByRole("button", { name: "Copy all (Markdown)" }).click();
    await answers.getByRole("button", { name: "Copied" }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain("## 1. 2 answers: @ann, @bob");
    expect(copied).toContain("- @dee: timeout");

    await answers.getByRole("checkbox", { name: "timed out (1)" }).check();
    expect(await answers.getByTestId("answers-summary").textContent()).toBe("0 answers in 0 groups; 1 recipient without an answer.");
    await answers.getByRole("button", { name: "Show all" }).click();

    // the export links: real downloads from the server, same grouping
    const [download] = await Promise.all([page.waitForEvent("download"), answers.getByRole("link", { name: "CSV" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^team-mesh-answers-.+\.csv$/);
    const csvHref = await answers.getByRole("link", { name: "CSV" }).getAttribute("href");
    const csv = await page.evaluate(async (href) => {
      const r = await fetch(href!);
      return { type: r.headers.get("content-type"), text: await r.text() };
    }, csvHref);
    expect(csv.type).toBe("text/csv; charset=utf-8");
    expect(csv.text.split("\r\n")[1]).toMatch(/^1,2,identical,ann,/);
    const mdHref = await answers.getByRole("link", { name: "Markdown" }).getAttribute("href");
    const md = await page.evaluate(async (href) => (await fetch(href!)).text(), mdHref);
    expect(md).toBe(copied); // the export and "Copy all" are the same text
  });

  it("cancel asks for a confirmation first; 'Keep sending' keeps it going", async () => {
    await broadcastFromUi("Long one, cancel me", 120);
    const board = page.locator(".board");
    await page.waitForFunction(() => document.querySelectorAll('.board-table tr[data-status="replied"]').length === 3, null, { timeout: 30_000 });
    await board.getByRole("button", { name: "Cancel 1 in flight…" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Cancel this broadcast?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("may already have the message");
    await screenshot(page, "desktop-broadcast-cancel-confirm");
    await dialog.getByRole("button", { name: "Keep sending" }).click();
    await page.waitForTimeout(500);
    expect(await board.getAttribute("data-state")).toBe("sending");
    expect(held.aborts).toHaveLength(0);
    await board.getByRole("button", { name: "Cancel 1 in flight…" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Yes, cancel the broadcast" }).click();
    await page.locator('.board[data-state="cancelled"]').waitFor({ timeout: 15_000 });
    expect(await board.locator('tr[data-handle="dee"]').getAttribute("data-status")).toBe("cancelled_after_send");
    expect(held.aborts.length).toBeGreaterThanOrEqual(1);
  });

  it("the audit date stays on one line", async () => {
    await nav("Audit");
    const cell = page.locator('.audit-table td[data-label="At"]').first();
    await cell.waitFor();
    expect(await cell.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe("nowrap");
    // nothing failed in the page but the session probe before signing in (401)
    expect(browser.errors.filter((e) => !e.includes("401"))).toEqual([]);
  });
});
