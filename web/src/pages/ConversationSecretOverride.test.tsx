// The conversation composer when the secret scanner refuses the text (422 SECRET_DETECTED): the
// masked findings as on the Send page, "Send anyway" (with allowSecrets) for an admin after a
// confirm step and only while the text is the refused one, no override for an operator.
import { HashRouter, Route } from "@solidjs/router";
import { fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import { message } from "../lib/fixtures.ts";
import { mockFetch, sessionRoutes, type Call } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import ConversationPage from "./Conversation.tsx";

// built at run time: no literal secret in the repository
const AWS_ID = "AKIA" + "Z7QW3RTY5UIOPA2S";
const MASKED = "AKIA****************" + " (20 chars)";
const refused = {
  status: 422,
  body: {
    error: {
      code: "SECRET_DETECTED",
      message: `The message contains what looks like a secret: AWS access key id (${MASKED}).`,
      details: { findings: [{ ruleId: "@secretlint/secretlint-rule-aws/AWSAccessKeyID", description: "AWS access key id", match: MASKED, blocking: true }] },
    },
  },
};

async function open(role: "admin" | "operator", posted: Call[]) {
  const sent = message({ id: "m9", exchanges: [{ ...message().exchanges[0]!, message: `key ${AWS_ID}`, reply: "noted" }] });
  mockFetch({
    ...sessionRoutes(role),
    "GET /messages": { body: { items: [], nextCursor: null } },
    "GET /messages/m9": { body: sent },
    "POST /messages": (c: Call) => {
      posted.push(c);
      return (c.body as { allowSecrets?: boolean }).allowSecrets === true ? { status: 202, body: { id: "m9", status: "queued", href: "/api/v1/messages/m9" } } : refused;
    },
  });
  vi.stubGlobal("WebSocket", undefined);
  await loadSession();
  window.location.hash = "#/team/alice/conversation";
  render(() => (
    <HashRouter>
      <Route path="/team/:name/conversation" component={ConversationPage} />
    </HashRouter>
  ));
  await screen.findByText("No messages with this teammate yet.");
  const composer = screen.getByRole("form", { name: "Reply in this conversation" });
  fireEvent.input(within(composer).getByLabelText("Message"), { target: { value: `key ${AWS_ID}` } });
  fireEvent.click(within(composer).getByRole("button", { name: "Send" }));
  return { composer, alert: await screen.findByRole("alert") };
}

afterEach(() => vi.unstubAllGlobals());

describe("conversation composer: a message the secret scanner refuses", () => {
  it("an admin sees the masked findings and sends anyway after confirming, with allowSecrets", async () => {
    const posted: Call[] = [];
    const { alert } = await open("admin", posted);
    expect(alert).toHaveTextContent("SECRET_DETECTED");
    expect(within(alert).getByRole("list", { name: "What the secret scanner found" })).toHaveTextContent(`AWS access key id: ${MASKED} rule aws/AWSAccessKeyID`);
    expect(alert.textContent).not.toContain(AWS_ID);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.body).not.toHaveProperty("allowSecrets");

    fireEvent.click(within(alert).getByRole("button", { name: "Send anyway" }));
    expect(posted).toHaveLength(1);
    expect(alert).toHaveTextContent("The message goes to @alice as it is, secret included");
    fireEvent.click(within(alert).getByRole("button", { name: "Yes, send anyway" }));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]!.body).toMatchObject({ to: "alice", message: `key ${AWS_ID}`, session: "main", allowSecrets: true });
    await waitFor(() => expect(document.querySelectorAll(".message-view")).toHaveLength(1));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByLabelText("Message")).toHaveValue("");
  });

  it("once the text is edited the override goes; the refusal stays until the next send", async () => {
    const posted: Call[] = [];
    const { composer } = await open("admin", posted);
    expect(screen.getByRole("button", { name: "Send anyway" })).toBeInTheDocument();
    fireEvent.input(within(composer).getByLabelText("Message"), { target: { value: "key removed" } });
    expect(screen.queryByRole("button", { name: "Send anyway" })).toBeNull();
    expect(screen.getByRole("alert")).toHaveTextContent("SECRET_DETECTED");
  });

  it("an operator sees the findings but no way to send anyway", async () => {
    const posted: Call[] = [];
    const { alert } = await open("operator", posted);
    expect(alert).toHaveTextContent(`AWS access key id: ${MASKED}`);
    expect(alert).toHaveTextContent("Only an admin can send a message the scanner blocks.");
    expect(screen.queryByRole("button", { name: /anyway/ })).toBeNull();
    expect(posted).toHaveLength(1);
  });
});
