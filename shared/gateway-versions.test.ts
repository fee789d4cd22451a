import { describe, expect, it } from "vitest";
import { MATRIX_EXCLUDED, OPENCLAW_RELEASE_LINES, TESTED_GATEWAY_VERSIONS, versionTested } from "./gateway-versions.ts";

describe("versionTested", () => {
  it("accepts both ends of the tested range and what lies between", () => {
    expect(versionTested(TESTED_GATEWAY_VERSIONS.min)).toBe(true);
    expect(versionTested(TESTED_GATEWAY_VERSIONS.max)).toBe(true);
    expect(versionTested("2026.8.2")).toBe(true);
    expect(versionTested("v2026.7.35-beta.1")).toBe(true);
  });
  it("flags versions outside the range and unparseable ones", () => {
    expect(versionTested("2026.6.34")).toBe(false);
    expect(versionTested("2026.9.7")).toBe(false);
    expect(versionTested("2027.1.0")).toBe(false);
    expect(versionTested("dev")).toBe(false);
  });
  it("the range is what the CI matrix runs: a release line left out of it is not called tested", () => {
    const run = OPENCLAW_RELEASE_LINES.filter((v) => !(v in MATRIX_EXCLUDED));
    expect(TESTED_GATEWAY_VERSIONS).toEqual({ min: run[0], max: run.at(-1) });
    // every release line runs in CI (2026.6.35 was left out until its interop failures were fixed)
    expect(MATRIX_EXCLUDED).toEqual({});
    expect(TESTED_GATEWAY_VERSIONS).toEqual({ min: "2026.6.35", max: "2026.9.6" });
    for (const v of Object.keys(MATRIX_EXCLUDED)) if (v < TESTED_GATEWAY_VERSIONS.min) expect(versionTested(v)).toBe(false);
  });
  it("is null without a version", () => {
    expect(versionTested(null)).toBeNull();
    expect(versionTested("")).toBeNull();
  });
});
