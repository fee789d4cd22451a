import { describe, expect, it } from "vitest";
import { TESTED_GATEWAY_VERSIONS, versionTested } from "./gateway-versions.ts";

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
  it("is null without a version", () => {
    expect(versionTested(null)).toBeNull();
    expect(versionTested("")).toBeNull();
  });
});
