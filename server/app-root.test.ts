import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { APP_ROOT, findAppRoot } from "./app-root.ts";

describe("findAppRoot", () => {
  it("is the repository when run from the sources", () => {
    expect(APP_ROOT).toBe(join(import.meta.dirname, ".."));
  });

  it("walks up past folders without package.json + migrations/ (the compiled build is one deeper)", () => {
    const root = mkdtempSync(join(tmpdir(), "tm-root-"));
    writeFileSync(join(root, "package.json"), "{}");
    mkdirSync(join(root, "migrations"));
    const deep = join(root, "build", "server", "http");
    mkdirSync(deep, { recursive: true });
    // a package.json alone (no migrations/) is not the application folder
    writeFileSync(join(root, "build", "package.json"), "{}");
    expect(findAppRoot(deep)).toBe(root);
  });

  it("says what it looked for when there is no such folder", () => {
    const lone = mkdtempSync(join(tmpdir(), "tm-noroot-"));
    expect(() => findAppRoot(lone)).toThrow(/No Team Mesh folder \(package.json and migrations\/\) at or above/);
  });
});
