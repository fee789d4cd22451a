import { fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import { broadcast, recipient } from "../lib/fixtures.ts";
import { mockFetch, sessionRoutes } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import { BroadcastBoard } from "./BroadcastBoard.tsx";

const timedOut = (h: string) => recipient(h, { status: "timeout", runId: `bc_1-${h}-1`, attempts: 1, error: { code: "GATEWAY_TIMEOUT", message: "no reply in time" } });
const unreachable = (h: string) => recipient(h, { status: "unreachable", runId: null, attempts: 1, error: { code: "GATEWAY_UNREACHABLE", message: "refused" } });
const replied = (h: string) => recipient(h, { status: "replied", reply: "ok", attempts: 1, latencyMs: 40 });
const done = { state: "completed" as const, confirmedAt: "2026-01-02T03:05:00.000Z", completedAt: "2026-01-02T03:06:00.000Z", confirmationToken: null };

async function signIn(role: "operator" | "requester", routes: Parameters<typeof mockFetch>[0] = {}, config: Record<string, unknown> = {}) {
  const mock = mockFetch({ ...sessionRoutes(role, config), ...routes });
  vi.stubGlobal("WebSocket", undefined);
  await loadSession();
  return mock;
}

describe("broadcast board", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("a completed broadcast with failures says 'finished — N failed', not 'completed'", async () => {
    await signIn("operator");
    render(() => <BroadcastBoard broadcast={broadcast({ ...done, recipients: [replied("a"), unreachable("b"), timedOut("c")] })} />);
    expect(screen.getByText("finished — 2 failed")).toBeInTheDocument();
    expect(screen.queryByText("completed")).toBeNull();
    expect(screen.getByText(/3 of 3 finished — 2 failed\./)).toBeInTheDocument();
  });

  it("all succeeded: the plain completed badge", async () => {
    await signIn("operator");
    render(() => <BroadcastBoard broadcast={broadcast({ ...done, recipients: [replied("a")] })} />);
    expect(screen.getByText("completed")).toBeInTheDocument();
    expect(screen.queryByText(/failed/)).toBeNull();
  });

  it("retry on timeouts only is labelled as collecting late replies, and explains it", async () => {
    await signIn("operator");
    render(() => <BroadcastBoard broadcast={broadcast({ ...done, recipients: [timedOut("a"), timedOut("b")] })} />);
    const btn = screen.getByRole("button", { name: "Collect late replies (2 timed out)" });
    expect(btn).toHaveAccessibleDescription(/does not send it to them again, it collects the late reply of that same run/);
  });

  it("retry of mixed failures says how many are sent again", async () => {
    const { calls } = await signIn("operator", { "POST /broadcasts/bc_1/retry": { status: 202, body: broadcast({ ...done, state: "sending" }) } });
    render(() => <BroadcastBoard broadcast={broadcast({ ...done, recipients: [timedOut("a"), unreachable("b")] })} />);
    const btn = screen.getByRole("button", { name: "Retry 2 failed" });
    expect(screen.getByText(/1 of the 2 timed out/)).toHaveTextContent("The other 1 are sent the message again.");
    fireEvent.click(btn);
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.path === "/broadcasts/bc_1/retry")).toBe(true));
  });

  it("cancel asks first: nothing is cancelled until confirmed, 'Keep sending' backs out", async () => {
    const { calls } = await signIn("operator", {
      "POST /broadcasts/bc_1/cancel": { body: broadcast({ ...done, state: "cancelled", recipients: [replied("a"), recipient("b", { status: "cancelled" })] }) },
    });
    const sending = broadcast({ ...done, state: "sending", completedAt: null, recipients: [replied("a"), recipient("b", { status: "queued" })] });
    render(() => <BroadcastBoard broadcast={sending} />);
    const posts = () => calls.filter((c) => c.method === "POST");
    fireEvent.click(screen.getByRole("button", { name: "Cancel 1 in flight…" }));
    const dialog = screen.getByRole("alertdialog", { name: "Cancel this broadcast?" });
    expect(dialog).toHaveTextContent(/may already have the message/);
    expect(posts()).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole("button", { name: "Keep sending" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(posts()).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: "Cancel 1 in flight…" }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, cancel the broadcast" }));
    await waitFor(() => expect(posts().map((c) => c.path)).toEqual(["/broadcasts/bc_1/cancel"]));
  });

  it("shows the fallback notifications of the broadcast from the audit trail", async () => {
    const entry = (teammate: string, reason: string, outcome: string) => ({ teammate, outcome, details: { reason }, kind: "fallback" });
    const { calls } = await signIn(
      "operator",
      { "GET /audit": { body: { items: [entry("carol", "no_credentials", "ok"), entry("b", "unreachable", "failed")], nextCursor: null } } },
      { fallbackConfigured: true },
    );
    render(() => <BroadcastBoard broadcast={broadcast({ ...done, recipients: [unreachable("b")] })} />);
    const box = await screen.findByTestId("fallback-notices");
    expect(within(box).getByText(/@carol/)).toHaveTextContent("@carol (no credentials): notified");
    expect(within(box).getByText(/@b/)).toHaveTextContent("@b (unreachable): the webhook call failed");
    const q = new URLSearchParams(calls.find((c) => c.path.startsWith("/audit"))!.path.split("?")[1]);
    expect(q.get("kind")).toBe("fallback");
    expect(q.get("broadcastId")).toBe("bc_1");
  });

  it("without audit:read, says in general that teammates without an address were notified; says when opted out", async () => {
    const { calls } = await signIn("requester", {}, { fallbackConfigured: true });
    const { unmount } = render(() => <BroadcastBoard broadcast={broadcast({ ...done, recipients: [replied("a")] })} />);
    expect(screen.getByTestId("fallback-general")).toHaveTextContent("@carol has no address or token, so the fallback webhook was told instead.");
    expect(calls.some((c) => c.path.startsWith("/audit"))).toBe(false);
    unmount();
    render(() => <BroadcastBoard broadcast={broadcast({ ...done, fallback: false, recipients: [replied("a")] })} />);
    expect(screen.getByTestId("fallback-off")).toHaveTextContent("off for this broadcast");
  });
});
