// deliver(): what a cancel records depends on whether chat.send was written (the connector's onSent).
import type { GatewayConnector, SendOptions, SendResult } from "../gateway/types.ts";
import { deliver, type DeliveryDeps } from "./deliver.ts";

function setup(opts: { written: boolean; lateReply?: SendResult; commitFails?: boolean }) {
  let sends = 0;
  const appended: Record<string, unknown>[] = [];
  const completed: Record<string, unknown>[] = [];
  const aborts: { sessionKey: string; runId: string }[] = [];
  let sendStarted!: () => void;
  const started = new Promise<void>((r) => (sendStarted = r));
  const connector = {
    send: (_t: unknown, o: SendOptions) =>
      new Promise<SendResult>((resolve) => {
        sends++;
        if (opts.written) o.onSent?.(o.idempotencyKey ?? "");
        sendStarted();
        o.signal?.addEventListener("abort", () => resolve({ outcome: "error", latencyMs: 1, error: { code: "GATEWAY_ERROR", message: "aborted" } }));
      }),
    abort: async (_t: unknown, o: { sessionKey: string; runId: string }) => {
      aborts.push(o);
    },
    fetchLateReply: async () => opts.lateReply ?? { outcome: "timeout", latencyMs: 1 },
  } as unknown as GatewayConnector;
  const deps: DeliveryDeps = {
    connector,
    audit: {
      append: (e: Record<string, unknown>) => {
        appended.push(e);
        return { id: appended.length };
      },
      complete: (_id: number, c: Record<string, unknown>) => completed.push(c),
      durable: async () => {
        if (opts.commitFails) throw new Error("disk I/O error");
      },
    } as never,
    logger: { debug() {}, info() {}, warn() {}, error() {} } as never,
    metrics: { observeSend() {} } as never,
  };
  const controller = new AbortController();
  const run = deliver(
    deps,
    { target: { teammateId: 1, url: "ws://127.0.0.1:1" }, handle: "zed", session: "main", message: "hi", timeoutSec: 30, actor: "user:o", idempotencyKey: "key-1", signal: controller.signal },
    "message",
  );
  return { run, controller, started, appended, completed, aborts, sends: () => sends };
}

describe("deliver: cancel", () => {
  it("after chat.send was written: cancelled_after_send, the key as run id, chat.abort for it, a late reply still collected", async () => {
    const s = setup({ written: true, lateReply: { outcome: "replied", runId: "key-1", reply: "did it anyway", latencyMs: 9 } });
    await s.started;
    s.controller.abort("cancelled");
    const r = await s.run;
    expect(r).toMatchObject({ status: "cancelled_after_send", runId: "key-1", error: { code: "CANCELLED" } });
    expect(s.completed).toEqual([expect.objectContaining({ outcome: "cancelled_after_send", runId: "key-1" })]);
    expect(s.aborts).toEqual([{ sessionKey: "main", runId: "key-1" }]);
    expect(r.lateReply).not.toBeNull();
    const late = await r.lateReply!(new AbortController().signal);
    expect(late).toEqual({ reply: "did it anyway", replyFullBytes: null, latencyMs: 9 });
    expect(s.appended.at(-1)).toMatchObject({ kind: "late_reply", outcome: "replied", runId: "key-1", reply: "did it anyway" });
  });

  it("no reply after the abort: the late-reply wait ends with null and writes nothing", async () => {
    const s = setup({ written: true });
    await s.started;
    s.controller.abort("cancelled");
    const r = await s.run;
    const before = s.appended.length;
    expect(await r.lateReply!(new AbortController().signal)).toBeNull();
    expect(s.appended.length).toBe(before);
  });

  it("before chat.send was written: plain cancelled, no run id, nothing aborted", async () => {
    const s = setup({ written: false });
    await s.started;
    s.controller.abort("cancelled");
    const r = await s.run;
    expect(r).toMatchObject({ status: "cancelled", runId: null, lateReply: null });
    expect(s.aborts).toEqual([]);
  });

  it("interrupted after chat.send was written: interrupted, keeps the key as run id, the run is left to go on (a retry picks it up)", async () => {
    const s = setup({ written: true });
    await s.started;
    s.controller.abort("interrupted");
    const r = await s.run;
    expect(r).toMatchObject({ status: "interrupted", runId: "key-1", lateReply: null });
    expect(s.aborts).toEqual([]);
  });
});

describe("deliver: the pending entry is not saved", () => {
  it("a failed commit of the pending entry: nothing is sent, the recipient gets a clear INTERNAL error", async () => {
    const s = setup({ written: false, commitFails: true });
    const r = await s.run;
    expect(r).toMatchObject({ status: "error", auditId: null, runId: null, error: { code: "INTERNAL", message: expect.stringMatching(/not sent/) } });
    expect(s.sends()).toBe(0);
    expect(s.completed).toEqual([]);
  });

  it("cancelled while the pending entry was being committed: nothing is sent, the entry ends cancelled", async () => {
    const s = setup({ written: false });
    s.controller.abort("cancelled"); // after deliver() appended, before its commit resolved
    const r = await s.run;
    expect(r).toMatchObject({ status: "cancelled", auditId: 1 });
    expect(s.sends()).toBe(0);
    expect(s.completed).toEqual([expect.objectContaining({ outcome: "cancelled" })]);
  });
});
