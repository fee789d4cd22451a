// publishScreenshots(): copies only allow-listed shots this file took, only on UPDATE_SCREENSHOTS=1,
// and fails the refresh for a named shot that was not taken (no Chromium: a stand-in page writes the file).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { publishScreenshots, screenshot, SCREENSHOT_DIR } from "./browser.ts";

const page = { screenshot: async ({ path }: { path: string }) => writeFileSync(path, "fresh") } as unknown as Page;
const to = mkdtempSync(join(tmpdir(), "team-mesh-docs-shots-"));
afterAll(() => {
  rmSync(to, { recursive: true, force: true });
  for (const n of ["a", "b", "stale"]) rmSync(join(SCREENSHOT_DIR, `unit-publish-${n}.png`), { force: true });
});

describe("publishScreenshots", () => {
  it("copies nothing without UPDATE_SCREENSHOTS=1", async () => {
    await screenshot(page, "unit-publish-a");
    expect(publishScreenshots(["unit-publish-a"], {}, to)).toEqual([]);
    expect(existsSync(join(to, "unit-publish-a.png"))).toBe(false);
  });

  it("copies the named shots taken in this run, and only those", async () => {
    await screenshot(page, "unit-publish-b");
    expect(publishScreenshots(["unit-publish-a", "unit-publish-b"], { UPDATE_SCREENSHOTS: "1" }, to)).toEqual(["unit-publish-a", "unit-publish-b"]);
    expect(readFileSync(join(to, "unit-publish-b.png"), "utf8")).toBe("fresh");
    expect(existsSync(join(to, "unit-publish-c.png"))).toBe(false);
  });

  it("a named shot not taken in this run (even if an old file is there) fails the refresh", () => {
    writeFileSync(join(SCREENSHOT_DIR, "unit-publish-stale.png"), "old");
    expect(() => publishScreenshots(["unit-publish-b", "unit-publish-stale"], { UPDATE_SCREENSHOTS: "1" }, to)).toThrow(/not taken in this run: unit-publish-stale/);
    expect(existsSync(join(to, "unit-publish-stale.png"))).toBe(false);
  });
});
