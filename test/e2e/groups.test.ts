// Groups in real Chromium against the real server: tags set in the teammate form and shown (and
// filtered) on the Team page; a broadcast to a group whose confirmation screen lists exactly the
// group's recipients, and which reaches only them.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, screenshot, type Browser, signInToTeam } from "./browser.ts";

const TOKEN = "tok-groups-e2e-5b7d";
let srv: TestServer;
let browser: Browser;
let page: Page;
let gws: FakeGateway[] = [];

const nav = (label: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();

beforeAll(async () => {
  ensureWebBuild();
  gws = await Promise.all([0, 1, 2].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
  srv = await startTestServer();
  await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gws[0]!.url, token: TOKEN, tags: ["backend"] });
  await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gws[1]!.url, token: TOKEN, tags: ["frontend"] });
  await srv.addTeammate({ handle: "cat", name: "Cat", gatewayUrl: gws[2]!.url, token: TOKEN });
  browser = await launch();
  page = browser.page;
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await Promise.all(gws.map((g) => g.stop()));
});

describe("groups", () => {
  it("tags a teammate in the form (a bad tag is refused next to the field) and filters the Team page by group", async () => {
    await page.locator('tr[data-handle="cat"]').getByRole("button", { name: "Details for cat" }).click();
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const tags = page.getByLabel("Tags (groups)");
    await tags.fill("backend, Not@Valid");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator('[id$="-tags-err"]', { hasText: "tag: 1-32 of a-z" }).waitFor();
    expect(await tags.getAttribute("aria-invalid")).toBe("true");
    await tags.fill("@backend, oncall");
    await page.getByRole("button", { name: "Save changes" }).click();
    const catTags = page.locator('tr[data-handle="cat"] [data-testid="tags"]');
    await catTags.waitFor();
    expect(await catTags.textContent()).toBe("@backend@oncall");
    expect((await srv.api("GET", "/api/v1/teammates/cat", undefined, { key: await srv.adminKey() })).body.tags).toEqual(["backend", "oncall"]);

    await page.getByLabel("Group", { exact: true }).selectOption("backend");
    const rows = () => page.locator("tr[data-handle]").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.handle));
    await page.waitForFunction(() => document.querySelectorAll("tr[data-handle]").length === 2);
    expect(await rows()).toEqual(["ann", "cat"]);
    await screenshot(page, "desktop-team-groups");
    await page.getByLabel("Group", { exact: true }).selectOption("");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-handle]").length === 3);
  });

  it("broadcasts to @backend: the confirmation lists exactly ann and cat; only they receive it", async () => {
    await nav("Broadcast");
    await page.getByLabel("Message", { exact: true }).fill("Backend: deploy freeze at 17:00");
    await page.getByLabel("Send to", { exact: true }).selectOption("backend");
    await page.getByRole("button", { name: "Review recipients" }).click();
    const confirm = page.getByRole("region", { name: "Confirm broadcast" });
    await confirm.waitFor();
    const listed = await confirm.locator('[data-testid="recipients"] li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.handle));
    expect(listed.sort()).toEqual(["ann", "cat"]);
    expect(await confirm.locator('[data-testid="group"]').textContent()).toContain("@backend");
    await screenshot(page, "desktop-broadcast-group-confirm");
    await confirm.getByRole("button", { name: "Send to 2 agents" }).click();
    await page.locator(".board").waitFor();
    await page.waitForFunction(
      () => document.querySelectorAll(".board-table tbody tr").length === 2 && !document.querySelector('.board-table tr[data-status="queued"], .board-table tr[data-status="sending"]'),
      undefined,
      { timeout: 30_000 },
    );
    expect(gws.map((g) => g.received)).toEqual([["Backend: deploy freeze at 17:00"], [], ["Backend: deploy freeze at 17:00"]]);
  });
});
