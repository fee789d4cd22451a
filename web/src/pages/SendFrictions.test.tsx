// Send page frictions of issue 13: recent messages refresh after a send, an old result card goes
// when a new send fails, the rounds hint says what rounds do, the fallback opt-out and notice.
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { message, teammate } from "../lib/fixtures.ts";
import { mockFetch, sessionRoutes, type Call } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import SendPage from "./Send.tsx";

async function page(routes: Parameters<typeof mockFetch>[0], config: Record<string, unknown> = {}) {
  const mock = mockFetch({ ...sessionRoutes("operator", config), "GET /templates": { body: { items: [] } }, "GET /teammates": { body: { items: [teammate("alice"), teammate("nobody", { gatewayUrl: null })] } }, ...routes });
  vi.stubGlobal("WebSocket", undefined);
  await loadSession();
  render(() => <SendPage />);
  return mock;
}

function fill(to: string, text: string) {
  fireEvent.input(screen.getByLabelText("To"), { target: { value: to } });
  fireEvent.input(screen.getByLabelText("Message"), { target: { value: text } });
}

describe("send page frictions", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("'Recent messages' shows your own send once it was sent", async () => {
    let listed = [message({ id: "old", to: { handle: "alice", name: "Alice", displayName: null } })];
    const fresh = message({ id: "new1", status: "sending", exchanges: [], to: { handle: "alice", name: "Alice", displayName: null } });
    await page({
      "GET /messages": () => ({ body: { items: listed } }),
      "POST /messages": () => {
        listed = [fresh, ...listed];
        return { status: 202, body: { id: "new1", status: "queued", href: "/api/v1/messages/new1" } };
      },
      "GET /messages/new1": { body: fresh },
    });
    const recent = await screen.findByRole("region", { name: "Recent messages" });
    expect(recent.querySelectorAll("li")).toHaveLength(1);
    fill("alice", "hello again");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(recent.querySelectorAll("li")).toHaveLength(2));
  });

  it("a new send's error does not sit above the previous send's result card", async () => {
    let n = 0;
    const first = message({ id: "m1", to: { handle: "alice", name: "Alice", displayName: null } });
    await page({
      "GET /messages": { body: { items: [] } },
      "POST /messages": () =>
        ++n === 1
          ? { status: 202, body: { id: "m1", status: "queued", href: "/api/v1/messages/m1" } }
          : { status: 409, body: { error: { code: "NO_ADDRESS", message: "nobody has no gateway address", details: { handle: "nobody", fallback: null } } } },
      "GET /messages/m1": { body: first },
    });
    fill("alice", "first");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByRole("region", { name: "Message to alice" });
    fill("nobody", "second");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByRole("alert");
    expect(screen.getByRole("alert")).toHaveTextContent("NO_ADDRESS");
    expect(screen.queryByRole("region", { name: "Message to alice" })).toBeNull();
  });

  it("the rounds hint says each reply becomes the next round's message", async () => {
    await page({ "GET /messages": { body: { items: [] } } });
    expect(screen.queryByTestId("rounds-hint")).toBeNull();
    fireEvent.input(screen.getByLabelText("Rounds"), { target: { value: "3" } });
    const hint = screen.getByTestId("rounds-hint");
    expect(hint).toHaveTextContent("With 3 rounds, each reply is sent back to the agent as the next round's message");
    expect(hint).not.toHaveTextContent(/same message is sent again/);
  });

  it("the fallback opt-out is sent as fallback:false; hidden when no webhook is configured", async () => {
    let posted: Call | undefined;
    await page(
      {
        "GET /messages": { body: { items: [] } },
        "POST /messages": (c) => {
          posted = c;
          return { status: 202, body: { id: "m2", status: "queued", href: "/api/v1/messages/m2" } };
        },
      },
      { fallbackConfigured: true },
    );
    const box = screen.getByRole("checkbox", { name: /Notify the fallback webhook/ });
    expect(box).toBeChecked();
    fireEvent.click(box);
    fill("alice", "no webhook for this one");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(posted).toBeDefined());
    expect(posted?.body).toMatchObject({ to: "alice", fallback: false });
  });

  it("no checkbox without a configured webhook", async () => {
    await page({ "GET /messages": { body: { items: [] } } });
    expect(screen.queryByRole("checkbox", { name: /fallback/ })).toBeNull();
  });

  it("a send to a teammate without an address says the fallback webhook was notified", async () => {
    await page(
      {
        "GET /messages": { body: { items: [] } },
        "POST /messages": {
          status: 409,
          body: {
            error: {
              code: "NO_ADDRESS",
              message: "nobody has no gateway address",
              details: { handle: "nobody", fallback: { attempted: true, ok: true, reason: "no_address", httpStatus: 204, error: null } },
            },
          },
        },
      },
      { fallbackConfigured: true },
    );
    fill("nobody", "hi");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(await screen.findByTestId("fallback-note")).toHaveTextContent("Fallback: @nobody has no address, so the fallback webhook was notified instead.");
  });
});
