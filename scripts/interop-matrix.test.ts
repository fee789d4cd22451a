import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs script without types
import { interopVersions, summarize, writeMatrixRow } from "./interop-matrix.mjs";

const report = (files: Record<string, ("passed" | "failed" | "skipped")[]>) => ({
  testResults: Object.entries(files).map(([f, statuses]) => ({
    name: `/x/test/interop/${f}.test.ts`,
    status: statuses.includes("failed") ? "failed" : "passed",
    assertionResults: statuses.map((status, i) => ({ status, title: `t${i}` })),
  })),
});

const doc = () => {
  const p = path.join(mkdtempSync(path.join(tmpdir(), "matrix-")), "doc.md");
  writeFileSync(p, "# x\n\n<!-- interop-matrix:start (written by scripts/test.mjs from the interop phases' reports) -->\n<!-- interop-matrix:end -->\n\nafter\n");
  return p;
};

describe("interop matrix", () => {
  it("runs the newest by default, every release line newest first with MESH_OPENCLAW_MATRIX=all, or the one asked for", () => {
    expect(interopVersions({})).toEqual(["2026.9.6"]);
    expect(interopVersions({ OPENCLAW_VERSION: "2026.7.35" })).toEqual(["2026.7.35"]);
    expect(interopVersions({ MESH_OPENCLAW_MATRIX: "all" })).toEqual(["2026.9.6", "2026.8.2", "2026.7.35", "2026.6.35"]);
    // any exact version runs when asked for by name, a release line or not
    expect(interopVersions({ OPENCLAW_VERSION: "2026.6.35" })).toEqual(["2026.6.35"]);
    expect(interopVersions({ OPENCLAW_VERSION: "2026.5.1" })).toEqual(["2026.5.1"]);
  });

  it("counts per file; a file that failed to load counts as failed", () => {
    const s = summarize({ testResults: [{ name: "/a/gateway.test.ts", status: "failed", message: "boom\nstack", assertionResults: [] }, ...report({ pairing: ["passed", "failed", "skipped"] }).testResults] });
    expect(s.get("gateway")).toMatchObject({ failed: 1, failedTitles: ["boom"] });
    expect(s.get("pairing")).toMatchObject({ passed: 1, failed: 1, skipped: 1, failedTitles: ["t1"] });
  });

  it("rewrites one version's row, keeps the others, adds new columns, sorts newest first", () => {
    const p = doc();
    writeMatrixRow("2026.8.2", report({ gateway: ["passed", "passed"] }), { doc: p, date: "2026-12-01" });
    writeMatrixRow("2026.9.6", report({ gateway: ["passed"], "multi-agent": ["failed"] }), { doc: p, date: "2026-12-02" });
    writeMatrixRow("2026.8.2", report({ gateway: ["passed", "failed"], "multi-agent": ["passed", "skipped"] }), { doc: p, date: "2026-12-03" });
    const text = readFileSync(p, "utf8");
    const rows = text.split("\n").filter((l) => l.startsWith("| 2026"));
    expect(rows).toEqual([
      "| 2026.9.6 | 2026-12-02 | 1/1 ✓ | **1 failed** / 1: t0 |",
      "| 2026.8.2 | 2026-12-03 | **1 failed** / 2: t1 | 1/1 ✓, 1 skipped |",
    ]);
    expect(text).toContain("| OpenClaw | run on | gateway | multi-agent |");
    expect(text.endsWith("<!-- interop-matrix:end -->\n\nafter\n")).toBe(true);
  });

  it("refuses a document without the markers", () => {
    const p = path.join(mkdtempSync(path.join(tmpdir(), "matrix-")), "doc.md");
    writeFileSync(p, "no table here\n");
    expect(() => writeMatrixRow("2026.9.6", report({}), { doc: p })).toThrow(/markers/);
  });
});
