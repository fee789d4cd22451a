import { fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import { mockFetch } from "../lib/test-utils.ts";
import { broadcast, teammate } from "../lib/fixtures.ts";
import { loadTeammates } from "../stores/teammates.ts";
import { BroadcastConfirm, sendLabel } from "./BroadcastConfirm.tsx";

describe("broadcast confirmation screen", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists exactly who receives it and who is skipped and why, with size and short hash", () => {
    mockFetch({});
    render(() => <BroadcastConfirm broadcast={broadcast()} onConfirmed={() => {}} onCancelled={() => {}} />);
    const rec = screen.getByTestId("recipients");
    expect(within(rec).getAllByRole("listitem").map((li) => li.dataset.handle)).toEqual(["alice", "bob"]);
    const skipped = screen.getByTestId("skipped");
    expect(within(skipped).getByText(/@carol/).parentElement).toHaveTextContent("no credentials");
    expect(within(skipped).getByText(/@me/).parentElement).toHaveTextContent("is you");
    expect(screen.getByTestId("bytes")).toHaveTextContent("20 bytes");
    expect(screen.getByTestId("hash")).toHaveTextContent(/^0123456789ab$/);
    expect(screen.getByTestId("expiry")).toHaveTextContent(/in \d+:\d\d/);
  });

  it("the send button names the count", () => {
    mockFetch({});
    render(() => <BroadcastConfirm broadcast={broadcast()} onConfirmed={() => {}} onCancelled={() => {}} />);
    expect(screen.getByRole("button", { name: "Send to 2 agents" })).toBeEnabled();
    expect(sendLabel(1)).toBe("Send to 1 agent");
    expect(sendLabel(7)).toBe("Send to 7 agents");
  });

  it("Cancel calls cancel and never confirm", async () => {
    const { calls } = mockFetch({
      "POST /broadcasts/bc_1/cancel": { body: broadcast({ state: "cancelled", confirmationToken: null }) },
    });
    const onCancelled = vi.fn();
    const onConfirmed = vi.fn();
    render(() => <BroadcastConfirm broadcast={broadcast()} onConfirmed={onConfirmed} onCancelled={onCancelled} />);
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(onCancelled).toHaveBeenCalled());
    const posts = calls.filter((c) => c.method !== "GET"); // GET /teammates: the recipients' last status
    expect(posts.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /broadcasts/bc_1/cancel"]);
    expect(calls.some((c) => c.path.includes("confirm"))).toBe(false);
    expect(posts[0]?.headers["X-Requested-With"]).toBe("team-mesh");
    expect(onConfirmed).not.toHaveBeenCalled();
  });

  it("confirm sends the broadcast's confirmation token, once clicked", async () => {
    const { calls } = mockFetch({
      "POST /broadcasts/bc_1/confirm": { status: 202, body: broadcast({ state: "sending", confirmationToken: null }) },
    });
    const onConfirmed = vi.fn();
    render(() => <BroadcastConfirm broadcast={broadcast()} onConfirmed={onConfirmed} onCancelled={() => {}} />);
    const posts = () => calls.filter((c) => c.method !== "GET");
    expect(posts()).toHaveLength(0); // nothing is sent by showing the screen
    fireEvent.click(screen.getByRole("button", { name: "Send to 2 agents" }));
    await waitFor(() => expect(onConfirmed).toHaveBeenCalled());
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.body).toEqual({ token: "tok-123", wait: false });
    expect(posts()[0]?.headers["Idempotency-Key"]).toBeTruthy();
  });

  it("disables the send button once expired", () => {
    mockFetch({});
    render(() => (
      <BroadcastConfirm
        broadcast={broadcast({ expiresAt: new Date(Date.now() - 1000).toISOString() })}
        onConfirmed={() => {}}
        onCancelled={() => {}}
      />
    ));
    expect(screen.getByRole("button", { name: "Send to 2 agents" })).toBeDisabled();
    expect(screen.getByTestId("expiry")).toHaveTextContent(/expired/);
  });

  it("shows a confirm error next to the button with its code", async () => {
    mockFetch({
      "POST /broadcasts/bc_1/confirm": {
        status: 410,
        body: { error: { code: "BROADCAST_EXPIRED", message: "Broadcast bc_1 expired" } },
      },
    });
    render(() => <BroadcastConfirm broadcast={broadcast()} onConfirmed={() => {}} onCancelled={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Send to 2 agents" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("BROADCAST_EXPIRED");
    expect(alert).toHaveTextContent(/confirmation window has passed/);
  });

  it("shows each recipient's last check, and warns about those whose last check failed", async () => {
    const failedAt = "2026-01-02T03:04:05.000Z";
    mockFetch({
      "GET /teammates": {
        body: {
          items: [
            teammate("alice"),
            teammate("bob", {
              status: { state: "unreachable", checkedAt: failedAt, lastSeenAt: null, latencyMs: null, version: null, scopes: null, error: { code: "GATEWAY_UNREACHABLE", message: "connection refused" }, pairing: null, protocol: null, versionTested: null, staleAt: null, autoCheck: "on", hint: null },
            }),
          ],
        },
      },
    });
    await loadTeammates();
    render(() => <BroadcastConfirm broadcast={broadcast()} onConfirmed={() => {}} onCancelled={() => {}} />);
    const rec = screen.getByTestId("recipients");
    const bob = within(rec).getByText(/@bob/).closest("li")!;
    await waitFor(() => expect(bob.dataset.lastStatus).toBe("unreachable"));
    expect(within(bob).getByText("unreachable")).toHaveClass("bad");
    expect(bob).toHaveTextContent("connection refused");
    const alice = within(rec).getByText(/@alice/).closest("li")!;
    expect(within(alice).getByText("online")).toHaveClass("good");
    expect(screen.getByTestId("doubtful")).toHaveTextContent("1 recipient failed the last check (@bob: unreachable)");
    // still the user's call: the send button stays enabled
    expect(screen.getByRole("button", { name: "Send to 2 agents" })).toBeEnabled();
  });
});
