// The Users page and the API keys page's help in real Chromium against the real server: add a
// user (one-time password that signs in), change a role, disable (their session ends), enable,
// reset the password, the last-admin refusal; every role explained and how to use a key; a new
// user forced to choose their own password before Home.
import type { Page } from "playwright-core";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../support/server.ts";
import { ensureWebBuild, launch, publishScreenshots, screenshot, type Browser, signInToTeam } from "./browser.ts";

let srv: TestServer;
let browser: Browser;
let page: Page;

async function nav(label: string): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).click();
}
const row = (name: string) => page.locator(`tr[data-user="${name}"]`);

beforeAll(async () => {
  ensureWebBuild();
  srv = await startTestServer();
  browser = await launch();
  page = browser.page;
  await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  publishScreenshots(["desktop-users"]);
});

describe("Users page", () => {
  it("adds a user with a one-time password that signs in, changes the role, disables, enables and resets", async () => {
    await nav("Users");
    await page.getByRole("heading", { name: "Users", exact: true }).waitFor();
    await page.getByLabel("Username", { exact: true }).fill("nora");
    await page.getByLabel("Role", { exact: true }).selectOption("operator");
    await page.getByRole("button", { name: "Add user" }).click();
    const otp = (await page.getByTestId("one-time-password").textContent())!.trim();
    expect(otp).toMatch(/^[A-Za-z2-9]{20}$/);
    await row("nora").waitFor();
    // a generated password must be changed at next sign-in: her row says so, the admin's does not
    await row("nora").locator(".badge", { hasText: "must change password" }).waitFor();
    expect(await row("admin").getByText("must change password").count()).toBe(0);
    const cookie = await srv.login("nora", otp);

    // role
    await page.getByLabel("Role of nora").selectOption("auditor");
    await expect.poll(async () => (await srv.api("GET", "/api/v1/users", undefined, { key: await srv.adminKey() })).body.items.find((u: { username: string }) => u.username === "nora")?.role).toBe("auditor");

    // disable: the state shows and her session stops at once
    await row("nora").getByRole("button", { name: "Disable nora" }).click();
    await row("nora").getByRole("cell", { name: "disabled", exact: true }).waitFor();
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
    await row("nora").getByRole("button", { name: "Enable nora" }).click();
    await row("nora").getByRole("cell", { name: "active", exact: true }).waitFor();

    // reset password: confirm, a new one-time password that signs in
    await page.getByRole("button", { name: "Done" }).click();
    // the shot for the docs, with the one-time password put away
    expect(await page.getByTestId("one-time-password").count()).toBe(0);
    await screenshot(page, "desktop-users");
    await page.getByRole("button", { name: "Reset password of nora" }).click();
    await page.getByRole("button", { name: "Reset and sign out" }).click();
    const again = (await page.getByTestId("one-time-password").textContent())!.trim();
    expect(again).not.toBe(otp);
    await srv.login("nora", again);
    await expect(srv.login("nora", otp)).rejects.toThrow();
  });

  it("the last admin cannot disable themselves: the refusal is shown in the row", async () => {
    await nav("Users");
    await row("admin").getByRole("button", { name: "Disable admin" }).click();
    const alert = row("admin").getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("admin is the last active admin");
    expect(await alert.textContent()).toContain("LAST_ADMIN");
    await row("admin").getByRole("cell", { name: "active", exact: true }).waitFor();
  });

  it("API keys page: every role explained; a new key comes with how to use it", async () => {
    await nav("API keys");
    for (const r of ["requester", "operator", "auditor", "admin"]) await page.getByRole("rowheader", { name: r, exact: true }).waitFor();
    expect(await page.locator('tr[data-role="requester"]').textContent()).toContain("create broadcasts");
    expect(await page.locator('tr[data-role="operator"]').textContent()).toContain("confirm, cancel and retry broadcasts");
    await page.getByLabel("Name", { exact: true }).fill("laptop-cli");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = (await page.getByTestId("new-key").textContent())!.trim();
    expect(await page.getByTestId("use-curl").textContent()).toBe(`curl -H "Authorization: Bearer ${key}" ${srv.url}/api/v1/teammates`);
    expect(await page.getByTestId("use-cli").textContent()).toContain(`export MESH_URL=${srv.url} MESH_API_KEY=${key}`);
    expect(await page.getByText(/MCP: point an MCP client/).textContent()).toContain(`${srv.url}/mcp`);
    // the key shown works as the help says
    expect((await srv.api("GET", "/api/v1/teammates", undefined, { key })).status).toBe(200);
  });

  // last: it signs the admin out of this page
  it("a new user signs in with the one-time password, must choose a new one first, then lands on Home", async () => {
    await nav("Users");
    await page.getByLabel("Username", { exact: true }).fill("olga");
    await page.getByLabel("Role", { exact: true }).selectOption("requester");
    await page.getByRole("button", { name: "Add user" }).click();
    const otp = (await page.getByTestId("one-time-password").textContent())!.trim();
    await row("olga").locator(".badge", { hasText: "must change password" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();

    await page.getByLabel("Username", { exact: true }).fill("olga");
    await page.getByLabel("Password", { exact: true }).fill(otp);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    // nothing else of the dashboard: no navigation, no Home
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Home", exact: true }).count()).toBe(0);

    // the one-time password again is refused, in words with its code
    await page.getByLabel("One-time password", { exact: true }).fill(otp);
    await page.getByLabel("New password", { exact: true }).fill(otp);
    await page.getByLabel("New password again", { exact: true }).fill(otp);
    await page.getByRole("button", { name: "Change password and continue" }).click();
    await page.getByText("must differ from the current password").waitFor();

    await page.getByLabel("New password", { exact: true }).fill("olga's own password");
    await page.getByLabel("New password again", { exact: true }).fill("olga's own password");
    await page.getByRole("button", { name: "Change password and continue" }).click();
    await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
    expect(new URL(page.url()).hash).toBe("#/home");
    expect(await page.locator(".who strong").textContent()).toBe("olga");
    // the new password is the one that works now
    await expect(srv.login("olga", otp)).rejects.toThrow();
    const cookie = await srv.login("olga", "olga's own password");
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).body.mustChangePassword).toBe(false);

    // and the admin's Users page no longer lists her as having to change it
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInToTeam(page, srv.url, "admin", ADMIN_PASSWORD);
    await nav("Users");
    await row("olga").waitFor();
    expect(await row("olga").getByText("must change password").count()).toBe(0);
  });
});
