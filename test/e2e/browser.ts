// Real Chromium for e2e tests (playwright-core, Debian's /usr/bin/chromium), a fresh profile per
// launch, a helper that saves screenshots to test-results/screenshots/, and publishScreenshots()
// that copies a file's named shots to docs/screenshots/ on request (UPDATE_SCREENSHOTS=1).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { REPO_ROOT } from "../support/server.ts";

export const CHROMIUM = process.env.MESH_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = join(REPO_ROOT, "test-results", "screenshots");
export const DOCS_SCREENSHOT_DIR = join(REPO_ROOT, "docs", "screenshots");
/** The shots this test file took (vitest isolates each file's modules), so a stale one from an earlier run is never published. */
const taken = new Set<string>();

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every uncaught page error and console error, to assert none happened. */
  errors: string[];
  close(): Promise<void>;
}

export async function launch(opts: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "team-mesh-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 860 },
    colorScheme: opts.colorScheme ?? "light",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  // Content-Security-Policy violations of every page, reported by the page itself
  await context.exposeBinding("__meshCspViolation", (_source, v: string) => errors.push(`csp: ${v}`));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __meshCspViolation(v: string): void }).__meshCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  taken.add(name);
  return file;
}

/**
 * Copies the named shots (an allow-list: the docs show these) to docs/screenshots/, only when
 * UPDATE_SCREENSHOTS=1, so an ordinary run never rewrites tracked files. Call it from afterAll.
 * A named shot this file did not take fails the refresh (its test failed or no longer takes it)
 * rather than leaving an old picture in the docs unnoticed. Returns the names copied.
 */
export function publishScreenshots(names: readonly string[], env: NodeJS.ProcessEnv = process.env, to: string = DOCS_SCREENSHOT_DIR): string[] {
  if (env.UPDATE_SCREENSHOTS !== "1") return [];
  const missing = names.filter((n) => !taken.has(n));
  if (missing.length) throw new Error(`UPDATE_SCREENSHOTS=1 but these shots were not taken in this run: ${missing.join(", ")}`);
  mkdirSync(to, { recursive: true });
  for (const n of names) copyFileSync(join(SCREENSHOT_DIR, `${n}.png`), join(to, `${n}.png`));
  return [...names];
}

function newest(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "dist" || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** Builds web/dist when missing or older than web/ and shared/ (the server serves it). */
export function ensureWebBuild(): void {
  const index = join(REPO_ROOT, "web/dist/index.html");
  if (existsSync(index) && statSync(index).mtimeMs > Math.max(newest(join(REPO_ROOT, "web")), newest(join(REPO_ROOT, "shared")))) return;
  const r = spawnSync("npx", ["vite", "build", "--config", "web/vite.config.ts", "--logLevel", "warn"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error(`web build failed (${r.status ?? r.signal})`);
}

/**
 * Signs in as `username` on the page at `url` and opens the Team page (signing in lands on Home).
 * The new-page e2e files share it; dashboard/flows keep their own sign-in, which tests the refusals too.
 */
export async function signInToTeam(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Username", { exact: true }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team", exact: true }).click();
  await page.getByRole("heading", { name: "Team", exact: true }).waitFor();
}
