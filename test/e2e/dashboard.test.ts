// End to end in real Chromium against the real server (in-process, temp data dir) with fake
// OpenClaw gateways answering: sign in, add a teammate and set its token, send and see the
// reply, a hostile reply shown as text, broadcast (cancel sends nothing; confirm sends to exactly
// the listed recipients), the audit trail, API keys. Screenshots of the main pages at 1280 and
// 390 px go to test-results/screenshots/.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser } from "./browser.ts";

const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const TOKENS = { alice: "tok-alice-0123456789", bob: "tok-bob-0123456789", carol: "tok-carol-0123456789", dave: "tok-dave-0123456789" };

let srv: TestServer;
let browser: Browser;
let page: Page;
const gw: Record<keyof typeof TOKENS, FakeGateway> = {} as never;

async function shot(p: Page, name: string, fullPage = true): Promise<void> {
  await p.waitForTimeout(150);
  // nothing may be wider than the viewport (no sideways scrolling at 390 px)
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name} overflows the viewport by ${overflow}px`).toBeLessThanOrEqual(0);
  await screenshot(p, name, fullPage);
}

async function nav(label: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
}

beforeAll(async () => {
  ensureWebBuild();
  gw.alice = await startFakeGateway({ token: TOKENS.alice, reply: (m) => `alice here: ${m}` });
  gw.bob = await startFakeGateway({ token: TOKENS.bob, reply: (m) => `bob here: ${m}\nsecond line of bob` });
  gw.carol = await startFakeGateway({ token: TOKENS.carol, reply: () => HOSTILE });
  gw.dave = await startFakeGateway({ token: TOKENS.dave });
  srv = await startTestServer();
  // bob and carol through the API; alice through the UI below; dave without a token (skipped)
  await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.bob.url, token: TOKENS.bob });
  await srv.addTeammate({ handle: "carol", name: "Carol", displayName: "Carol C.", gatewayUrl: gw.carol.url, token: TOKENS.carol });
  await srv.addTeammate({ handle: "dave", name: "Dave", gatewayUrl: gw.dave.url });
  browser = await launch({ width: 1280, height: 860 });
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  for (const g of Object.values(gw)) await g?.stop();
  // the set the README shows
  publishScreenshots([
    ...["team", "send", "broadcast-confirm", "broadcast-board", "audit"].flatMap((n) => [`desktop-${n}`, `mobile-${n}`]),
    "desktop-dark-team",
  ]);
});

describe("dashboard in Chromium", () => {
  it("signs in (wrong password first: error shown with its code)", async () => {
    await page.goto(srv.url);
    await page.getByRole("heading", { name: "Sign in to Team Mesh" }).waitFor();
    await shot(page, "desktop-signin");
    await page.getByLabel("Username", { exact: true }).fill("admin");
    await page.getByLabel("Password", { exact: true }).fill("wrong-password-0");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("INVALID_CREDENTIALS");
    await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    // signing in lands on the home page
    await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team", exact: true }).click();
    await page.getByRole("heading", { name: "Team", exact: true }).waitFor();
    expect(await page.locator(".who").textContent()).toContain("admin");
  });

  it("adds a teammate, shows API validation next to the field, then sets its token (write-only)", async () => {
    await page.getByRole("button", { name: "Add teammate" }).first().click();
    const form = page.locator("form.teammate-form");
    await form.getByLabel("Handle", { exact: true }).fill("alice");
    await form.getByLabel("Name", { exact: true }).fill("Alice Liddell");
    await form.getByLabel("Display name", { exact: true }).fill("Alice");
    await form.getByLabel("Gateway URL", { exact: true }).fill("http://not-a-gateway");
    await form.getByRole("button", { name: "Add teammate" }).click();
    await form.locator(".field-error").first().waitFor();
    expect(await form.getByLabel("Gateway URL", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await form.textContent()).toContain("VALIDATION_FAILED");
    await form.getByLabel("Gateway URL", { exact: true }).fill(gw.alice.url);
    await form.getByRole("button", { name: "Add teammate" }).click();
    const details = page.getByRole("region", { name: "Teammate alice" });
    await details.waitFor();
    expect(await details.textContent()).toContain("No token set.");

    await details.getByLabel("Set token", { exact: true }).fill(TOKENS.alice);
    await details.getByRole("button", { name: "Set token" }).click();
    await details.getByText(/Token saved/).waitFor();
    expect(await details.getByLabel("Replace token", { exact: true }).inputValue()).toBe(""); // never shown back
    expect(await details.textContent()).toMatch(/Set on /);
    expect(await page.content()).not.toContain(TOKENS.alice);
    await page.locator('tr[data-handle="alice"] .badge[data-status="online"]').waitFor({ timeout: 20_000 });
  });

  it("checks everyone now and shows live status", async () => {
    await page.getByRole("button", { name: "Check all" }).click();
    for (const h of ["alice", "bob", "carol"]) {
      await page.locator(`tr[data-handle="${h}"] .badge[data-status="online"]`).waitFor({ timeout: 20_000 });
    }
    await page.locator('tr[data-handle="dave"] .badge[data-status="no_credentials"]').waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Details for alice" }).click(); // close details
    await shot(page, "desktop-team");
  });

  it("sends a message and shows the reply", async () => {
    await nav("Send");
    await page.getByLabel("To", { exact: true }).fill("Liddell"); // matches the name
    await page.getByRole("option", { name: /Alice/ }).click();
    expect(await page.getByLabel("To", { exact: true }).inputValue()).toBe("alice");
    await page.getByLabel("Message", { exact: true }).fill("Status update please, ünïcødé ✓");
    expect(await page.locator("#send-bytes").textContent()).toContain(`${Buffer.byteLength("Status update please, ünïcødé ✓")} / 8,192 bytes`);
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const view = page.locator('.message-view[data-status="replied"]');
    await view.waitFor({ timeout: 30_000 });
    expect(await view.getByLabel("Reply", { exact: true }).textContent()).toBe("alice here: Status update please, ünïcødé ✓");
    expect(gw.alice.received).toEqual(["Status update please, ünïcødé ✓"]);
    await shot(page, "desktop-send");
  });

  it("shows an HTML/script reply as text and runs nothing", async () => {
    await page.getByLabel("To", { exact: true }).fill("carol");
    await page.getByLabel("Message", { exact: true }).fill("say something nasty");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const view = page.locator('.message-view[data-status="replied"]', { hasText: "Carol" });
    await view.waitFor({ timeout: 30_000 });
    expect(await view.getByLabel("Reply", { exact: true }).textContent()).toBe(HOSTILE);
    expect(await view.locator("img, script").count()).toBe(0);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("broadcast: cancel on the confirmation screen sends nothing", async () => {
    const before = { alice: gw.alice.received.length, bob: gw.bob.received.length, carol: gw.carol.received.length, dave: gw.dave.received.length };
    await nav("Broadcast");
    await page.getByLabel("Message", { exact: true }).fill("Cancelled broadcast — must never arrive");
    await page.getByRole("button", { name: "Review recipients" }).click();
    const confirm = page.getByRole("region", { name: "Confirm broadcast" });
    await confirm.waitFor();
    const handles = await confirm.locator('[data-testid="recipients"] li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.handle));
    expect(handles.sort()).toEqual(["alice", "bob", "carol"]);
    expect(await confirm.locator('[data-testid="skipped"] li[data-handle="dave"]').textContent()).toContain("no credentials");
    expect(await confirm.getByRole("button", { name: "Send to 3 agents" }).isEnabled()).toBe(true);
    await confirm.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.getByText(/cancelled before confirmation: nothing was sent/).waitFor();
    await page.waitForTimeout(1000);
    expect({ alice: gw.alice.received.length, bob: gw.bob.received.length, carol: gw.carol.received.length, dave: gw.dave.received.length }).toEqual(before);
  });

  it("broadcast: confirm sends to exactly the listed recipients and the board follows them", async () => {
    await page.getByRole("link", { name: "← All broadcasts" }).click();
    const text = "All hands: deploy at 15:00";
    await page.getByLabel("Message", { exact: true }).fill(text);
    await page.getByRole("button", { name: "Review recipients" }).click();
    const confirm = page.getByRole("region", { name: "Confirm broadcast" });
    await confirm.waitFor();
    expect(await confirm.getByTestId("hash").textContent()).toMatch(/^[0-9a-f]{12}$/);
    await shot(page, "desktop-broadcast-confirm");
    await confirm.getByRole("button", { name: "Send to 3 agents" }).click();
    const board = page.locator(".board");
    await board.waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.board-table tr[data-status="replied"]').length === 3, null, { timeout: 30_000 });
    expect(gw.alice.received.filter((m) => m === text)).toHaveLength(1);
    expect(gw.bob.received.filter((m) => m === text)).toHaveLength(1);
    expect(gw.carol.received.filter((m) => m === text)).toHaveLength(1);
    expect(gw.dave.received).toEqual([]);
    expect(gw.alice.received.some((m) => m.startsWith("Cancelled broadcast"))).toBe(false);
    // expand carol's (hostile) reply: still text
    await board.locator('tr[data-handle="carol"]').getByRole("button", { name: "Show" }).click();
    expect(await board.getByLabel("Reply from carol", { exact: true }).textContent()).toBe(HOSTILE);
    expect(await board.locator("img, script").count()).toBe(0);
    await board.locator('tr[data-handle="bob"]').getByRole("button", { name: "Show" }).click();
    await shot(page, "desktop-broadcast-board");
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("the audit page shows what happened, filters, details and export links", async () => {
    await nav("Audit");
    await page.locator(".audit-table tbody tr").first().waitFor();
    const table = page.locator(".audit-table");
    await table.getByText("All hands: deploy at 15:00").first().waitFor();
    expect(await table.getByText("Status update please, ünïcødé ✓").count()).toBeGreaterThanOrEqual(1);
    expect(await table.getByText("say something nasty").count()).toBeGreaterThanOrEqual(1);
    await page.getByLabel("Teammate", { exact: true }).fill("carol");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('.audit-table td[data-label="Teammate"]')];
      return cells.length > 0 && cells.every((c) => c.textContent === "carol");
    });
    const exportHref = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    expect(exportHref).toContain("format=csv");
    expect(exportHref).toContain("teammate=carol");
    const res = await page.evaluate(async (href) => {
      const r = await fetch(href!);
      return { status: r.status, text: await r.text() };
    }, exportHref);
    expect(res.status).toBe(200);
    expect(res.text).toContain("carol");
    // entry detail: whole message and reply, as text
    await page.locator('.audit-table tr', { hasText: "say something nasty" }).getByRole("button").first().click();
    const detail = page.getByRole("region", { name: /Audit entry #/ });
    await detail.waitFor();
    expect(await detail.getByLabel("Reply", { exact: true }).textContent()).toBe(HOSTILE);
    expect(await detail.locator("img, script").count()).toBe(0);
    await page.getByRole("button", { name: "Verify chain" }).click();
    await page.getByTestId("verify").waitFor();
    expect(await page.getByTestId("verify").textContent()).toMatch(/Chain intact/);
    await page.getByRole("button", { name: "Close" }).click();
    await page.getByRole("button", { name: "Clear" }).click();
    await table.getByText("All hands: deploy at 15:00").first().waitFor();
    await shot(page, "desktop-audit");
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it("creates an API key, shows it once, and revokes it", async () => {
    await nav("API keys");
    await page.getByLabel("Name", { exact: true }).fill("standup-bot");
    await page.getByLabel("Role", { exact: true }).selectOption("requester");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await page.getByTestId("new-key").textContent();
    expect(key && key.length).toBeGreaterThan(10);
    const res = await fetch(`${srv.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    await shot(page, "desktop-keys");
    await page.getByRole("button", { name: "I have stored it" }).click();
    expect(await page.content()).not.toContain(key!);
    await page.getByRole("button", { name: "Revoke standup-bot" }).click();
    await page.getByRole("button", { name: "Revoke now" }).click();
    await page.getByText(/revoked/).first().waitFor();
    const after = await fetch(`${srv.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${key}` } });
    expect(after.status).toBe(401);
  });

  it("is usable at 390 px and in dark mode (screenshots)", async () => {
    const cookies = await browser.context.cookies();
    for (const variant of [
      { prefix: "mobile", width: 390, height: 844, colorScheme: "light" as const },
      { prefix: "desktop-dark", width: 1280, height: 860, colorScheme: "dark" as const },
    ]) {
      const b = await launch(variant);
      try {
        await b.context.addCookies(cookies);
        const p = b.page;
        await p.goto(`${srv.url}/#/team`);
        await p.locator('tr[data-handle="alice"]').waitFor();
        await shot(p, `${variant.prefix}-team`);
        if (variant.prefix === "mobile") {
          await p.goto(`${srv.url}/#/send`);
          await p.getByLabel("To", { exact: true }).fill("bob");
          await p.getByLabel("Message", { exact: true }).fill("Mobile hello");
          await p.getByRole("button", { name: "Send", exact: true }).click();
          await p.locator('.message-view[data-status="replied"]').waitFor({ timeout: 30_000 });
          await shot(p, "mobile-send");
          await p.goto(`${srv.url}/#/broadcast`);
          await p.getByLabel("Message", { exact: true }).fill("Mobile broadcast preview");
          await p.getByRole("button", { name: "Review recipients" }).click();
          await p.getByRole("region", { name: "Confirm broadcast" }).waitFor();
          await shot(p, "mobile-broadcast-confirm");
          await p.getByRole("button", { name: "Cancel", exact: true }).click();
          await p.getByText(/cancelled before confirmation: nothing was sent/).waitFor();
          await p.goto(`${srv.url}/#/broadcast`);
          await p.locator("a", { hasText: "All hands: deploy at 15:00" }).first().click();
          await p.locator('.board-table tr[data-status="replied"]').first().waitFor();
          await shot(p, "mobile-broadcast-board");
          await p.goto(`${srv.url}/#/audit`);
          await p.locator(".audit-table tbody tr").first().waitFor();
          await shot(p, "mobile-audit", false);
        }
        expect(b.errors).toEqual([]);
      } finally {
        await b.close();
      }
    }
    expect(gw.bob.received.filter((m) => m.startsWith("Mobile broadcast"))).toEqual([]);
  });

  it("strict CSP: the dashboard pages and the API reference run without a policy violation", async () => {
    const res = await fetch(srv.url);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    await page.goto(`${srv.url}/api/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    await page.goto(`${srv.url}/#/team`);
    await page.waitForSelector("text=Bob Builder", { timeout: 30_000 });
    expect(browser.errors.filter((e) => /^csp:|Content Security Policy/.test(e))).toEqual([]);
  });

  it("had no page errors", () => {
    expect(browser.errors.filter((e) => !/401|Unauthorized|Failed to load resource/.test(e))).toEqual([]);
  });
});
