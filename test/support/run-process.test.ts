// The test suites' child-process helper: a child that never reads its input must not fail the run
// with an unhandled EPIPE, and output is complete when the promise resolves.
import { runProcess } from "./run-process.ts";

describe("runProcess", () => {
  it("a child that exits before reading its standard input: its exit code, no EPIPE", async () => {
    // 8 MB is far more than a pipe buffers, so the write is still going when the child is gone.
    for (let i = 0; i < 5; i++) {
      const r = await runProcess(process.execPath, ["-e", "process.exit(3)"], { input: "x".repeat(8 << 20) });
      expect(r).toMatchObject({ code: 3, signal: null });
    }
  });

  it("resolves with all the output, after the pipes are drained", async () => {
    const r = await runProcess(process.execPath, ["-e", "process.stdout.write('y'.repeat(4 << 20)); process.stderr.write('done')"]);
    expect(r.code).toBe(0);
    expect(r.out.length).toBe(4 << 20);
    expect(r.err).toBe("done");
  });

  it("passes standard input through", async () => {
    const r = await runProcess(process.execPath, ["-e", "process.stdin.pipe(process.stdout)"], { input: "from stdin\n" });
    expect(r.out).toBe("from stdin\n");
  });

  it("kills a child that outlives its bound and says so", async () => {
    await expect(runProcess(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { timeoutMs: 300 })).rejects.toThrow(/did not exit within 300 ms/);
  });
});
