// Send and Broadcast when the server's secret scanner refuses the text (422 SECRET_DETECTED):
// the masked findings are listed, an admin (secrets:override) may resend with allowSecrets after
// a confirm step, any other role gets no override; lower-confidence warnings show on success.
import { HashRouter, Route } from "@solidjs/router";
import { fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import { broadcast, message, teammate } from "../lib/fixtures.ts";
import { mockFetch, sessionRoutes, type Call } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import BroadcastPage from "./Broadcast.tsx";
import SendPage from "./Send.tsx";

// built at run time: no literal secret in the repository
const AWS_ID = "AKIA" + "Z7QW3RTY5UIOPA2S";
const MASKED = "AKIA****************" + " (20 chars)";
const FINDINGS = [
  { ruleId: "@secretlint/secretlint-rule-aws/AWSAccessKeyID", description: "AWS access key id", match: MASKED, blocking: true },
  { ruleId: "@secretlint/secretlint-rule-aws/AWSAccountID", description: "AWS account id", match: "************** (14 chars)", blocking: false },
];
const refused = {
  status: 422,
  body: { error: { code: "SECRET_DETECTED", message: `The message contains what looks like a secret: AWS access key id (${MASKED}).`, details: { findings: FINDINGS } } },
};

type Role = "admin" | "operator";

async function signIn(role: Role, routes: Parameters<typeof mockFetch>[0]) {
  const mock = mockFetch({
    ...sessionRoutes(role),
    "GET /templates": { body: { items: [] } },
    "GET /teammates": { body: { items: [teammate("alice")] } },
    "GET /messages": { body: { items: [] } },
    "GET /broadcasts": { body: { items: [] } },
    "GET /schedules": { body: { items: [] } },
    ...routes,
  });
  vi.stubGlobal("WebSocket", undefined);
  await loadSession();
  return mock;
}

/** POST handler: refuses unless allowSecrets, then answers `ok`; records what was posted. */
function guarded(posted: Call[], ok: { status: number; body: unknown }) {
  return (c: Call) => {
    posted.push(c);
    return (c.body as { allowSecrets?: boolean }).allowSecrets === true ? ok : refused;
  };
}

function fillSend(text: string) {
  fireEvent.input(screen.getByLabelText("To"), { target: { value: "alice" } });
  fireEvent.input(screen.getByLabelText("Message"), { target: { value: text } });
}

afterEach(() => vi.unstubAllGlobals());

describe("Send: a message the secret scanner refuses", () => {
  it("lists the masked findings with their rule; an admin sends anyway only after confirming, with allowSecrets", async () => {
    const posted: Call[] = [];
    const sent = message({ id: "m9", exchanges: [{ ...message().exchanges[0]!, message: `key ${AWS_ID}`, reply: "noted" }] });
    await signIn("admin", { "POST /messages": guarded(posted, { status: 202, body: { id: "m9", status: "queued", href: "/api/v1/messages/m9" } }), "GET /messages/m9": { body: sent } });
    render(() => <SendPage />);
    fillSend(`key ${AWS_ID}`);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("looks like a secret");
    expect(alert).toHaveTextContent("SECRET_DETECTED");
    const found = within(alert).getByRole("list", { name: "What the secret scanner found" });
    expect(found).toHaveTextContent(`AWS access key id: ${MASKED} rule aws/AWSAccessKeyID`);
    expect(found).toHaveTextContent("AWS account id: ************** (14 chars) rule aws/AWSAccountID · warning only");
    expect(alert.textContent).not.toContain(AWS_ID);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.body).not.toHaveProperty("allowSecrets");

    // the first click only asks
    fireEvent.click(within(alert).getByRole("button", { name: "Send anyway" }));
    expect(posted).toHaveLength(1);
    expect(alert).toHaveTextContent("The message goes to @alice as it is, secret included");
    // "Keep editing" backs out without sending
    fireEvent.click(within(alert).getByRole("button", { name: "Keep editing" }));
    expect(within(alert).queryByRole("button", { name: "Yes, send anyway" })).toBeNull();
    expect(posted).toHaveLength(1);

    fireEvent.click(within(alert).getByRole("button", { name: "Send anyway" }));
    fireEvent.click(within(alert).getByRole("button", { name: "Yes, send anyway" }));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]!.body).toMatchObject({ to: "alice", message: `key ${AWS_ID}`, allowSecrets: true });
    await screen.findByRole("region", { name: "Message to alice" });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("an operator sees the findings but no way to send anyway", async () => {
    const posted: Call[] = [];
    await signIn("operator", { "POST /messages": guarded(posted, { status: 202, body: {} }) });
    render(() => <SendPage />);
    fillSend(`key ${AWS_ID}`);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(`AWS access key id: ${MASKED}`);
    expect(alert).toHaveTextContent("Only an admin can send a message the scanner blocks.");
    expect(within(alert).queryByRole("button", { name: /anyway/ })).toBeNull();
    expect(screen.queryByRole("button", { name: /anyway/ })).toBeNull();
    expect(posted).toHaveLength(1);
  });

  it("once the text is edited the override goes: it was offered for the refused text only", async () => {
    const posted: Call[] = [];
    await signIn("admin", { "POST /messages": guarded(posted, { status: 202, body: {} }) });
    render(() => <SendPage />);
    fillSend(`key ${AWS_ID}`);
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByRole("button", { name: "Send anyway" });
    fireEvent.input(screen.getByLabelText("Message"), { target: { value: "key removed" } });
    expect(screen.queryByRole("button", { name: "Send anyway" })).toBeNull();
    // the refusal itself stays visible until the next send
    expect(screen.getByRole("alert")).toHaveTextContent("SECRET_DETECTED");
  });

  it("a sent message shows the scanner's lower-confidence warnings", async () => {
    const sent = message({ id: "m5", warnings: [{ code: "SECRET_SUSPECTED", message: "Possible secret: AWS account id (************** (14 chars)), rule aws/AWSAccountID" }] });
    await signIn("operator", { "POST /messages": { status: 202, body: { id: "m5", status: "queued", href: "/api/v1/messages/m5" } }, "GET /messages/m5": { body: sent } });
    render(() => <SendPage />);
    fillSend("account 1234-5678-9012");
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    const card = await screen.findByRole("region", { name: "Message to alice" });
    expect(card.querySelector(".warnings")).toHaveTextContent("Possible secret: AWS account id (************** (14 chars)), rule aws/AWSAccountID SECRET_SUSPECTED");
  });
});

describe("Broadcast: a text the secret scanner refuses", () => {
  // the hash router keeps the previous test's location
  beforeEach(() => window.history.replaceState(null, "", "#/"));
  const renderPage = () =>
    render(() => (
      <HashRouter>
        <Route path="/" component={BroadcastPage} />
        <Route path="/broadcast/:id" component={() => <p>detail page</p>} />
      </HashRouter>
    ));

  it("an admin continues anyway after confirming: the broadcast is created with allowSecrets", async () => {
    const posted: Call[] = [];
    await signIn("admin", { "POST /broadcasts": guarded(posted, { status: 201, body: broadcast({ id: "bc_9" }) }) });
    renderPage();
    const compose = await screen.findByRole("form", { name: "New broadcast" });
    fireEvent.input(within(compose).getByLabelText("Message"), { target: { value: `everyone use ${AWS_ID}` } });
    fireEvent.click(within(compose).getByRole("button", { name: "Review recipients" }));
    const alert = await within(compose).findByRole("alert");
    expect(alert).toHaveTextContent(`AWS access key id: ${MASKED}`);
    expect(alert.textContent).not.toContain(AWS_ID);
    fireEvent.click(within(alert).getByRole("button", { name: "Continue anyway" }));
    expect(alert).toHaveTextContent("the next screen still asks you to confirm the recipients");
    expect(posted).toHaveLength(1);
    fireEvent.click(within(alert).getByRole("button", { name: "Yes, continue anyway" }));
    await screen.findByText("detail page");
    expect(posted).toHaveLength(2);
    expect(posted[1]!.body).toMatchObject({ message: `everyone use ${AWS_ID}`, allowSecrets: true });
  });

  it("an operator gets the findings and no override", async () => {
    const posted: Call[] = [];
    await signIn("operator", { "POST /broadcasts": guarded(posted, { status: 201, body: {} }) });
    renderPage();
    const compose = await screen.findByRole("form", { name: "New broadcast" });
    fireEvent.input(within(compose).getByLabelText("Message"), { target: { value: `everyone use ${AWS_ID}` } });
    fireEvent.click(within(compose).getByRole("button", { name: "Review recipients" }));
    const alert = await within(compose).findByRole("alert");
    expect(alert).toHaveTextContent(`AWS access key id: ${MASKED}`);
    expect(screen.queryByRole("button", { name: /anyway/ })).toBeNull();
    expect(posted).toHaveLength(1);
  });
});
