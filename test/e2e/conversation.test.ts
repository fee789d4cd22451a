// The conversation view and the home page in real Chromium against the real server: history in
// order with older pages loaded on scrolling up, a send that continues the session with its
// reply streaming in, search, and a broadcast awaiting confirmation on the home page and as a
// nav badge that follows the event stream.
import type { Page } from "playwright-core";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser } from "./browser.ts";

const TOKEN = "tok-ivy-0123456789";
let srv: TestServer;
let browser: Browser;
let page: Page;
let gw: FakeGateway;
let key: string;
const seeded: string[] = [];

const viewIds = () => page.locator(".conversation .message-view").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.messageId!));

beforeAll(async () => {
  ensureWebBuild();
  gw = await startFakeGateway({ token: TOKEN, reply: (m) => `ivy: ${m}` });
  srv = await startTestServer();
  key = await srv.keyFor("operator");
  await srv.addTeammate({ handle: "ivy", name: "Ivy", gatewayUrl: gw.url, token: TOKEN });
  for (let i = 1; i <= 25; i++) {
    const res = await srv.api("POST", "/api/v1/messages", { to: "ivy", message: `note ${i}` }, { key });
    expect(res.status).toBe(200);
    seeded.push(res.body.id);
  }
  browser = await launch();
  page = browser.page;
  await page.goto(srv.url);
  await page.getByLabel("Username", { exact: true }).fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await gw?.stop();
  publishScreenshots(["desktop-conversation", "desktop-home"]);
});

describe("conversations", () => {
  it("opens from the Team page with the newest page of history in order, newest at the bottom", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team", exact: true }).click();
    await page.getByRole("link", { name: "Conversation with ivy" }).click();
    await page.getByRole("heading", { name: /Conversation with @ivy/ }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll(".conversation .message-view").length === 20);
    expect(await viewIds()).toEqual(seeded.slice(5));
    expect(await page.locator(".conversation .message-view").last().getByLabel("Reply", { exact: true }).textContent()).toBe("ivy: note 25");
    // the sent message is shown in full like a chat bubble, not folded into a card
    const sent = page.locator(".conversation .message-view").last().getByLabel("Message sent", { exact: true });
    expect(await sent.isVisible()).toBe(true);
    expect(await sent.textContent()).toBe("note 25");
    // scrolled to the bottom
    expect(await page.locator('[data-testid="history"]').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 5)).toBe(true);
    await screenshot(page, "desktop-conversation");
  });

  it("scrolling up loads the older messages above, down to the start", async () => {
    await page.locator('[data-testid="history"]').evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event("scroll"));
    });
    await page.waitForFunction(() => document.querySelectorAll(".conversation .message-view").length === 25);
    expect(await viewIds()).toEqual(seeded);
    await page.getByText("Start of the conversation.").waitFor();
    expect(await page.getByRole("button", { name: "Load older messages" }).count()).toBe(0);
  });

  it("sending from the composer continues the session and the reply streams in", async () => {
    gw.received.length = 0;
    await page.getByLabel("Message", { exact: true }).fill("[[delay:1500]]and next?");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const last = page.locator(".conversation .message-view").last();
    await page.locator(".conversation .message-view pre.streaming").waitFor({ timeout: 10_000 });
    await page.locator('.conversation .message-view[data-status="replied"]').nth(25).waitFor({ timeout: 20_000 });
    expect(await last.getByLabel("Reply", { exact: true }).textContent()).toBe("ivy: and next?");
    expect(await page.locator(".conversation .message-view").count()).toBe(26);
    expect(gw.received).toEqual(["[[delay:1500]]and next?"]);
    const id = await last.getAttribute("data-message-id");
    const stored = await srv.api("GET", `/api/v1/messages/${id}`, undefined, { key });
    expect(stored.body).toMatchObject({ session: "main", to: { handle: "ivy" }, status: "replied" });
  });

  it("a session's conversation sends to that session only and shows only its messages", async () => {
    await page.goto(`${srv.url}/#/team/ivy/conversation?session=ops`);
    await page.getByRole("heading", { name: /session ops/ }).waitFor();
    await page.getByText("No messages with this teammate yet.").waitFor();
    await page.getByLabel("Message", { exact: true }).fill("ops check");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator('.conversation .message-view[data-status="replied"]').waitFor({ timeout: 20_000 });
    expect(await page.locator(".conversation .message-view").count()).toBe(1);
    const ops = await srv.api("GET", "/api/v1/messages?teammate=ivy&session=ops", undefined, { key });
    expect(ops.body.items.map((m: { exchanges: { message: string }[] }) => m.exchanges[0]!.message)).toEqual(["ops check"]);
  });

  it("searches within the conversation", async () => {
    await page.goto(`${srv.url}/#/team/ivy/conversation`);
    await page.waitForFunction(() => document.querySelectorAll(".conversation .message-view").length === 20);
    await page.getByRole("searchbox").fill("note 2");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    // note 2 and note 20-25
    await page.waitForFunction(() => document.querySelectorAll(".conversation .message-view").length === 7);
    expect(await viewIds()).toEqual([seeded[1], ...seeded.slice(19)]);
    await page.getByRole("searchbox").fill("nothing like this");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByText("Nothing matches “nothing like this”.").waitFor();
  });
});

describe("home page", () => {
  it("shows a broadcast awaiting confirmation, with a nav badge that follows the event stream", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Home", exact: true }).click();
    await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
    const awaiting = page.getByRole("region", { name: "Awaiting confirmation" });
    await awaiting.getByText("None waiting.").waitFor();
    expect(await page.locator(".nav-badge").count()).toBe(0);
    const requester = await srv.keyFor("requester");
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "Standup in 5 minutes?", timeoutSec: 10 }, { key: requester });
    expect(created.status).toBe(201);
    // arrives by the event stream, no reload
    await page.locator(".nav-badge").filter({ hasText: "1" }).waitFor({ timeout: 10_000 });
    const broadcastLink = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Broadcast", exact: true });
    expect(await broadcastLink.getAttribute("aria-describedby")).toBe("nav-awaiting");
    expect(await page.locator("#nav-awaiting").textContent()).toBe("1 awaiting confirmation");
    const link = awaiting.getByRole("link", { name: "Standup in 5 minutes?" });
    await link.waitFor();
    expect(await page.getByRole("region", { name: "Online" }).textContent()).toContain("Online");
    expect(await page.getByRole("region", { name: "Recent replies" }).textContent()).toContain("ivy");
    await screenshot(page, "desktop-home");
    await link.click();
    await page.getByRole("region", { name: "Confirm broadcast" }).waitFor();
    await page.getByRole("button", { name: /^Send to \d+ agents?$/ }).click();
    await page.locator(".board").waitFor();
    // once confirmed it no longer awaits: the badge goes
    await page.waitForFunction(() => !document.querySelector(".nav-badge"), undefined, { timeout: 10_000 });
  });

  it("lists failed deliveries with a link to the teammate's conversation", async () => {
    await srv.addTeammate({ handle: "jay", name: "Jay", gatewayUrl: "ws://127.0.0.1:9", token: "tok-jay-0123456789" });
    const res = await srv.api("POST", "/api/v1/messages", { to: "jay", message: "are you there?", timeoutSec: 3, fallback: false }, { key });
    expect(res.body.status).toBe("unreachable");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Home", exact: true }).click();
    const failed = page.getByRole("region", { name: "Failed deliveries" });
    await failed.getByRole("link", { name: "@jay" }).click();
    await page.getByRole("heading", { name: /Conversation with @jay/ }).waitFor();
    await page.locator('.conversation .message-view[data-status="unreachable"]').waitFor();
  });
});
