import { agentLabel, ago, broadcastExitCode, formatAudit, formatPing, formatTeammates, formatWhoami, formatImportReport, formatMessage, messageExitCode, ms, table, truncate } from "./format.ts";

describe("format helpers", () => {
  const entry = (handle: string, agentId: string, agentEmoji: string | null = null) =>
    ({
      handle,
      name: handle,
      displayName: null,
      isMe: false,
      gatewayUrl: "ws://10.0.0.1:18789",
      agentId,
      agentEmoji,
      credential: { set: true },
      tags: [],
      status: { state: "online", lastSeenAt: null, latencyMs: 5, version: "2026.9.6", error: null, pairing: null },
    }) as never;

  it("list, ping and whoami show which agent of a shared gateway each entry addresses", () => {
    const items = [entry("dana", "main"), entry("dana-research", "research", "🔬")];
    const list = formatTeammates(items, new Date()).split("\n");
    expect(list[0]).toMatch(/^HANDLE\s+NAME\s+STATE\s+GATEWAY\s+AGENT\s+TOKEN/);
    expect(list[1]).toMatch(/^dana\s+dana\s+online\s+ws:\S+\s+main\s+set/);
    expect(list[2]).toMatch(/^dana-research\s+dana-research\s+online\s+ws:\S+\s+🔬 research\s+set/);
    const ping = formatPing(items).split("\n");
    expect(ping[0]).toMatch(/^HANDLE\s+AGENT\s+STATE/);
    expect(ping[2]).toMatch(/^dana-research\s+🔬 research\s+online\s+5 ms/);
    expect(formatWhoami({ me: entry("dana-research", "research"), source: "setting" }, null)).toContain("Agent:    research");
    // an older server's entries carry no agentId: they address the gateway's main agent
    expect(agentLabel({ agentEmoji: null } as never)).toBe("main");
  });

  it("table aligns columns by their widest cell and leaves no trailing spaces", () => {
    expect(table(["A", "LONG HEADER", "C"], [["xxxx", "y", ""], ["z", "ww", "last"]])).toBe(
      ["A     LONG HEADER  C", "xxxx  y", "z     ww           last"].join("\n"),
    );
  });

  it("table counts characters, not UTF-16 units or bytes", () => {
    expect(table(["N", "X"], [["é😀", "1"], ["ab", "2"]])).toBe(["N   X", "é😀  1", "ab  2"].join("\n"));
  });

  it("truncate, ms and ago", () => {
    expect(truncate("hello world", 5)).toBe("hell…");
    expect(truncate("hi", 5)).toBe("hi");
    expect(ms(null)).toBe("-");
    expect(ms(12.4)).toBe("12 ms");
    expect(ms(1530)).toBe("1.5 s");
    const now = new Date("2030-01-01T12:00:00Z");
    expect(ago(null, now)).toBe("never");
    expect(ago("2030-01-01T11:59:30Z", now)).toBe("30s ago");
    expect(ago("2030-01-01T09:00:00Z", now)).toBe("3h ago");
    expect(ago("2029-12-29T12:00:00Z", now)).toBe("3d ago");
  });

  it("a message cancelled after chat.send left shows its status and a reply that came anyway", () => {
    const text = formatMessage({
      id: "m1",
      to: { handle: "zed", name: "Zed", displayName: null },
      session: "main",
      rounds: 1,
      status: "cancelled_after_send",
      exchanges: [{ round: 1, status: "cancelled_after_send", reply: "did it anyway", latencyMs: 5, error: { code: "CANCELLED", message: "cancelled after the message may have been delivered" } }],
      fallback: null,
    } as never);
    expect(text).toContain("cancelled_after_send");
    expect(text).toContain("did it anyway");
    expect(text).toContain("(the reply above came after the cancel: the agent answered anyway)");
  });

  it("exit codes of messages and broadcasts", () => {
    expect(messageExitCode({ status: "replied" })).toBe(0);
    expect(messageExitCode({ status: "delivered_no_reply" })).toBe(0);
    expect(messageExitCode({ status: "queued" })).toBe(0);
    for (const s of ["timeout", "unreachable", "auth_failed", "pairing_required", "error", "cancelled", "cancelled_after_send", "interrupted"] as const) {
      expect(messageExitCode({ status: s }), s).toBe(1);
    }
    const r = (status: string) => ({ status }) as never;
    expect(broadcastExitCode({ state: "awaiting_confirmation", recipients: [] })).toBe(0);
    expect(broadcastExitCode({ state: "completed", recipients: [r("replied"), r("delivered_no_reply")] })).toBe(0);
    expect(broadcastExitCode({ state: "completed", recipients: [r("replied"), r("timeout")] })).toBe(1);
    expect(broadcastExitCode({ state: "expired", recipients: [] })).toBe(1);
    expect(broadcastExitCode({ state: "completed", recipients: [r("replied"), r("cancelled_after_send")] })).toBe(1);
  });

  it("audit rows: one line per entry, message flattened and cut", () => {
    const out = formatAudit([
      {
        id: 7,
        at: "2030-01-01T12:00:00.123Z",
        actor: "key:ci",
        kind: "send",
        teammate: "alice",
        outcome: "timeout",
        errorCode: "GATEWAY_TIMEOUT",
        message: "line1\nline2 " + "x".repeat(100),
      } as never,
    ]);
    const [head, row] = out.split("\n");
    expect(head).toMatch(/^ID\s+AT\s+ACTOR\s+KIND\s+TEAMMATE\s+OUTCOME\s+MESSAGE$/);
    expect(row).toMatch(/^7\s+2030-01-01 12:00:00\s+key:ci\s+send\s+alice\s+timeout \(GATEWAY_TIMEOUT\)\s+line1 line2 x+…$/);
  });

  it("import report lists handles, never token values", () => {
    const text = formatImportReport({ created: ["a"], updated: [], unchanged: ["b"], skipped: [{ handle: null, reason: "no emailPrefix" }], tokensSet: ["a"] });
    expect(text).toContain("Created:   a");
    expect(text).toContain("Updated:   -");
    expect(text).toContain("Skipped (no handle): no emailPrefix");
  });
});
