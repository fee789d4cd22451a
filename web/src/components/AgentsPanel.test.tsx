import { render, screen, waitFor } from "@solidjs/testing-library";
import { mockFetch } from "../lib/test-utils.ts";
import { teammate } from "../lib/fixtures.ts";
import { AgentsPanel } from "./AgentsPanel.tsx";

const discovery = (mainOf: string | null) => ({
  gatewayUrl: "ws://10.0.0.9:18789",
  agents: [
    { agentId: "ops", name: "Opsy", emoji: "🛠", isDefault: true, teammate: mainOf },
    { agentId: "research", name: "Rex", emoji: null, isDefault: false, teammate: null },
  ],
});

describe("agents panel", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("an entry added with find agents whose agent the gateway lacks is moved to the gateway's default agent", async () => {
    let moved = false;
    const { calls } = mockFetch({
      "GET /teammates/dana/agents": () => ({ body: discovery(moved ? "dana" : null) }),
      "PATCH /teammates/dana": () => {
        moved = true;
        return { body: teammate("dana", { agentId: "ops", agentEmoji: "🛠" }) };
      },
    });
    render(() => <AgentsPanel t={teammate("dana", { agentId: "main" })} adoptDefaultAgent />);
    expect(await screen.findByText(/now addresses its default agent/)).toHaveTextContent("This gateway has no agent main: @dana now addresses its default agent ops.");
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ agentId: "ops", agentEmoji: "🛠" });
    // the other agent is offered
    expect(await screen.findByRole("button", { name: "Add this agent" })).toBeInTheDocument();
    expect(screen.getByText(/already @dana/)).toBeInTheDocument();
  });

  it("without find agents (or when the gateway has the entry's agent) nothing is changed", async () => {
    const { calls } = mockFetch({ "GET /teammates/dana/agents": { body: discovery(null) } });
    render(() => <AgentsPanel t={teammate("dana", { agentId: "main" })} />);
    await screen.findByRole("button", { name: "Add these 2 agents" });
    const m = mockFetch({ "GET /teammates/eve/agents": { body: { ...discovery(null), agents: [{ agentId: "main", name: null, emoji: null, isDefault: true, teammate: "eve" }, discovery(null).agents[1]] } } });
    render(() => <AgentsPanel t={teammate("eve", { agentId: "main" })} adoptDefaultAgent />);
    await screen.findByRole("button", { name: "Add this agent" });
    await waitFor(() => expect(m.calls.length).toBe(1));
    expect([...calls, ...m.calls].some((c) => c.method === "PATCH")).toBe(false);
    expect(screen.queryByText(/now addresses its default agent/)).toBeNull();
  });

  it("a discovery error (wrong token) is shown with its code", async () => {
    mockFetch({ "GET /teammates/dana/agents": { status: 502, body: { error: { code: "AUTH_FAILED", message: "The gateway refused the token." } } } });
    render(() => <AgentsPanel t={teammate("dana")} adoptDefaultAgent />);
    expect(await screen.findByText("AUTH_FAILED")).toBeInTheDocument();
    expect(screen.getByText(/The gateway refused the token/)).toBeInTheDocument();
  });
});
