// The conversation view shows each sent message in full, like a chat bubble (the Send page's card
// keeps it folded); from round 2 on the message is the previous reply and stays folded.
import { HashRouter, Route } from "@solidjs/router";
import { render, screen, waitFor, within } from "@solidjs/testing-library";
import { MessageView } from "../components/MessageView.tsx";
import { message } from "../lib/fixtures.ts";
import { mockFetch, sessionRoutes } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import ConversationPage from "./Conversation.tsx";

const LONG = "Please check the deploy.\n" + "line of detail ".repeat(300);
const base = message().exchanges[0]!;

afterEach(() => vi.unstubAllGlobals());

describe("conversation: sent messages as chat bubbles", () => {
  it("shows the sent message expanded and whole, with who sent it; a later round's message stays folded", async () => {
    const one = message({ id: "c1", exchanges: [{ ...base, message: LONG, messageBytes: LONG.length, reply: "on it" }] });
    const two = message({
      id: "c2",
      rounds: 2,
      actor: { kind: "api_key", name: "ci-bot", role: "operator" },
      exchanges: [
        { ...base, round: 1, message: "round one text", messageBytes: 14, reply: "first answer" },
        { ...base, round: 2, message: "first answer", messageBytes: 12, reply: "second answer" },
      ],
    });
    mockFetch({ ...sessionRoutes("operator"), "GET /messages": { body: { items: [two, one], nextCursor: null } } });
    vi.stubGlobal("WebSocket", undefined);
    await loadSession();
    window.location.hash = "#/team/alice/conversation";
    render(() => (
      <HashRouter>
        <Route path="/team/:name/conversation" component={ConversationPage} />
      </HashRouter>
    ));
    await waitFor(() => expect(document.querySelectorAll(".message-view")).toHaveLength(2));
    const [first, second] = [...document.querySelectorAll<HTMLElement>(".message-view")];

    const sent = within(first!).getByLabelText("Message sent");
    expect(sent).toBeVisible();
    expect(sent.closest("details")).toBeNull();
    expect(sent.textContent).toBe(LONG);
    expect(first!.querySelector(".sent-bubble")).toHaveTextContent(`Sent by admin (${LONG.length} bytes)`);
    expect(within(first!).getByLabelText("Reply")).toHaveTextContent("on it");

    const [r1, r2] = within(second!).getAllByLabelText("Message sent");
    expect(r1).toBeVisible();
    expect(r1).toHaveTextContent("round one text");
    expect(second!.querySelector(".sent-bubble")).toHaveTextContent("Sent by ci-bot");
    expect(r2!.closest("details")).not.toBeNull();
    expect(r2).not.toBeVisible();
  });

  it("outside a conversation (the Send page's card) the message stays folded", () => {
    render(() => <MessageView message={message({ exchanges: [{ ...base, message: "folded here" }] })} />);
    const sent = screen.getByLabelText("Message sent");
    expect(sent).not.toBeVisible();
    expect(sent.closest("details")).not.toBeNull();
    expect(document.querySelector(".sent-bubble")).toBeNull();
  });
});
