import { HashRouter, Route } from "@solidjs/router";
import { render, screen, waitFor, within } from "@solidjs/testing-library";
import { dispatch } from "../api/events.ts";
import { broadcast, message, teammate } from "../lib/fixtures.ts";
import { mockFetch } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import HomePage from "./Home.tsx";
import ConversationPage from "./Conversation.tsx";

const CONFIG = { msgSoftLimit: 100, msgHardLimit: 200, roundsMax: 3, timeoutSecMax: 60, timeoutSecDefault: 30, syncConfigured: false, fallbackConfigured: false, version: "t" };
const online = (handle: string) => teammate(handle, { status: { ...teammate(handle).status, state: "online" } });
const offline = (handle: string) => teammate(handle, { status: { ...teammate(handle).status, state: "unreachable" } });

async function signIn(role: string, routes: Parameters<typeof mockFetch>[0]) {
  const mock = mockFetch({ "GET /auth/me": { body: { kind: "user", name: "lead", role } }, "GET /config": { body: CONFIG }, ...routes });
  vi.stubGlobal("WebSocket", undefined);
  await loadSession();
  return mock;
}

afterEach(() => vi.unstubAllGlobals());

describe("home page", () => {
  it("shows who is online, awaiting broadcasts with links, recent replies and failed deliveries", async () => {
    await signIn("admin", {
      "GET /teammates": { body: { items: [online("alice"), offline("bob")] } },
      "GET /broadcasts": { body: { items: [broadcast({ id: "bc_wait", message: "Ship it?" }), broadcast({ id: "bc_done", state: "completed", message: "Old news" })] } },
      "GET /messages": {
        body: {
          items: [message({ id: "m1", exchanges: [{ ...message().exchanges[0]!, reply: "all good" }] }), message({ id: "m2", status: "unreachable", session: "ops", to: { handle: "bob", name: "Bob", displayName: null } })],
          nextCursor: null,
        },
      },
    });
    render(() => (
      <HashRouter>
        <Route path="*" component={HomePage} />
      </HashRouter>
    ));
    const who = await screen.findByRole("region", { name: "Online" });
    await waitFor(() => expect(who).toHaveTextContent("Online (1 of 2)"));
    expect(within(who).getByRole("link", { name: "Alice" })).toHaveAttribute("href", "#/team/alice/conversation");
    const awaiting = screen.getByRole("region", { name: "Awaiting confirmation" });
    const link = await within(awaiting).findByRole("link", { name: "Ship it?" });
    expect(link).toHaveAttribute("href", "#/broadcast/bc_wait");
    expect(awaiting).not.toHaveTextContent("Old news");
    await waitFor(() => expect(screen.getByRole("region", { name: "Recent replies" })).toHaveTextContent("all good"));
    const failed = screen.getByRole("region", { name: "Failed deliveries" });
    expect(within(failed).getByRole("link", { name: "@bob" })).toHaveAttribute("href", "#/team/bob/conversation?session=ops");
    // a confirmed broadcast stops awaiting, live
    dispatch({ type: "broadcast.updated", broadcast: broadcast({ id: "bc_wait", message: "Ship it?", state: "sending" }) });
    await waitFor(() => expect(awaiting).toHaveTextContent("None waiting."));
  });

  it("a role without broadcast rights (auditor) gets no awaiting list and does not ask for broadcasts", async () => {
    const { calls } = await signIn("auditor", { "GET /teammates": { body: { items: [online("alice")] } }, "GET /messages": { body: { items: [], nextCursor: null } } });
    render(() => (
      <HashRouter>
        <Route path="*" component={HomePage} />
      </HashRouter>
    ));
    await screen.findByRole("region", { name: "Online" });
    expect(screen.queryByRole("region", { name: "Awaiting confirmation" })).toBeNull();
    await screen.findByText(/No replies among the last/);
    expect(calls.some((c) => c.path.startsWith("/broadcasts"))).toBe(false);
  });
});

describe("conversation page", () => {
  it("shows the newest page oldest first, loads the older page by cursor, and says when a search finds nothing", async () => {
    const page1 = [message({ id: "m3" }), message({ id: "m2" })];
    const { calls } = await signIn("operator", {
      "GET /messages": (call) => {
        if (call.path.includes("q=zzz")) return { body: { items: [], nextCursor: null } };
        if (call.path.includes("before=cur1")) return { body: { items: [message({ id: "m1" })], nextCursor: null } };
        return { body: { items: page1, nextCursor: "cur1" } };
      },
    });
    window.location.hash = "#/team/Alice/conversation";
    render(() => (
      <HashRouter>
        <Route path="/team/:name/conversation" component={ConversationPage} />
      </HashRouter>
    ));
    const ids = () => [...document.querySelectorAll<HTMLElement>(".message-view")].map((e) => e.dataset.messageId);
    await waitFor(() => expect(ids()).toEqual(["m2", "m3"]));
    expect(calls[calls.length - 1]!.path).toMatch(/teammate=alice/);
    (await screen.findByRole("button", { name: "Load older messages" })).click();
    await waitFor(() => expect(ids()).toEqual(["m1", "m2", "m3"]));
    expect(screen.getByText("Start of the conversation.")).toBeInTheDocument();
    window.location.hash = "#/team/Alice/conversation?q=zzz";
    await screen.findByText("Nothing matches “zzz”.");
  });
});
