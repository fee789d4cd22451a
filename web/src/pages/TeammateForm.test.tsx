import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { mockFetch } from "../lib/test-utils.ts";
import { teammate } from "../lib/fixtures.ts";
import { TeammateForm } from "./TeammateForm.tsx";

describe("teammate form", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows required-field messages without calling the API", async () => {
    const { calls } = mockFetch({});
    render(() => <TeammateForm onSaved={() => {}} onCancel={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Add teammate" }));
    expect(await screen.findByText("A handle is required.")).toBeInTheDocument();
    expect(screen.getByText("A name is required.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("shows the API's validation messages next to their fields", async () => {
    const { calls } = mockFetch({
      "POST /teammates": {
        status: 400,
        body: {
          error: {
            code: "VALIDATION_FAILED",
            message: "Invalid request json",
            details: {
              target: "json",
              issues: [
                { path: "gatewayUrl", message: "gatewayUrl must start with ws:// or wss://", code: "invalid_format" },
                { path: "handle", message: "handle: 1-64 of a-z 0-9 . _ -, starting with a letter or digit", code: "invalid_format" },
              ],
            },
          },
        },
      },
    });
    const onSaved = vi.fn();
    render(() => <TeammateForm onSaved={onSaved} onCancel={() => {}} />);
    fireEvent.input(screen.getByLabelText("Handle"), { target: { value: "-bad" } });
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Bad" } });
    fireEvent.input(screen.getByLabelText("Gateway URL"), { target: { value: "http://x" } });
    fireEvent.input(screen.getByLabelText("Gateway token (write-only)"), { target: { value: "s3cret" } });
    fireEvent.click(screen.getByRole("button", { name: "Add teammate" }));

    const url = screen.getByLabelText("Gateway URL");
    await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
    const errId = url.getAttribute("aria-describedby")?.split(" ").find((id) => id.endsWith("-err"));
    expect(document.getElementById(errId!)).toHaveTextContent("gatewayUrl must start with ws:// or wss://");
    expect(screen.getByLabelText("Handle")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getAllByText("VALIDATION_FAILED").length).toBeGreaterThan(0);
    expect(onSaved).not.toHaveBeenCalled();
    expect(calls[0]?.body).toMatchObject({ handle: "-bad", name: "Bad", gatewayUrl: "http://x", token: "s3cret" });
    // the token field is write-only: a password input
    expect(screen.getByLabelText("Gateway token (write-only)")).toHaveAttribute("type", "password");
  });

  it("edits with PATCH and without handle or token", async () => {
    const t = teammate("alice");
    const { calls } = mockFetch({ "PATCH /teammates/alice": { body: { ...t, name: "Alicia" } } });
    const onSaved = vi.fn();
    render(() => <TeammateForm teammate={t} onSaved={onSaved} onCancel={() => {}} />);
    expect(screen.queryByLabelText("Handle")).toBeNull();
    expect(screen.queryByLabelText(/token/i)).toBeNull();
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Alicia" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0]?.method).toBe("PATCH");
    expect(calls[0]?.body).not.toHaveProperty("token");
    expect(calls[0]?.body).not.toHaveProperty("handle");
  });

  it("sends the agent id (default main) and shows the API's agentId message next to it", async () => {
    const { calls } = mockFetch({
      "POST /teammates": {
        status: 400,
        body: {
          error: {
            code: "VALIDATION_FAILED",
            message: "Invalid request json",
            details: { target: "json", issues: [{ path: "agentId", message: "agentId: 1-64 letters, digits, _ or -, starting with a letter or digit", code: "invalid_format" }] },
          },
        },
      },
    });
    render(() => <TeammateForm onSaved={() => {}} onCancel={() => {}} />);
    const agent = screen.getByLabelText("Agent id");
    expect(agent).toHaveValue("main");
    fireEvent.input(screen.getByLabelText("Handle"), { target: { value: "rex" } });
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Rex" } });
    fireEvent.input(agent, { target: { value: "-research" } });
    fireEvent.click(screen.getByRole("button", { name: "Add teammate" }));
    await waitFor(() => expect(agent).toHaveAttribute("aria-invalid", "true"));
    expect(calls[0]?.body).toMatchObject({ handle: "rex", agentId: "-research" });
  });

  it("tags: shown comma separated, sent as a list; a bad tag's message sits on the Tags field", async () => {
    const t = teammate("alice", { tags: ["backend", "oncall"] });
    const { calls } = mockFetch({
      "PATCH /teammates/alice": {
        status: 400,
        body: {
          error: {
            code: "VALIDATION_FAILED",
            message: "Invalid request json",
            details: { target: "json", issues: [{ path: "tags.1", message: 'tag: 1-32 of a-z, 0-9, "-", "_"', code: "invalid_format" }] },
          },
        },
      },
    });
    render(() => <TeammateForm teammate={t} onSaved={() => {}} onCancel={() => {}} />);
    const tags = screen.getByLabelText("Tags (groups)") as HTMLInputElement;
    expect(tags.value).toBe("backend, oncall");
    fireEvent.input(tags, { target: { value: "backend  @qa,bad tag" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(tags).toHaveAttribute("aria-invalid", "true"));
    expect(calls[0]?.body).toMatchObject({ tags: ["backend", "@qa", "bad", "tag"] });
    const errId = tags.getAttribute("aria-describedby")?.split(" ").find((id) => id.endsWith("-err"));
    expect(document.getElementById(errId!)).toHaveTextContent("tag: 1-32 of a-z");
  });

  it("Add and find agents: needs the URL and token, then saves and says so to the caller", async () => {
    const { calls } = mockFetch({ "POST /teammates": { status: 201, body: teammate("dana") } });
    const onSaved = vi.fn();
    render(() => <TeammateForm onSaved={onSaved} onCancel={() => {}} />);
    fireEvent.input(screen.getByLabelText("Handle"), { target: { value: "dana" } });
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Dana" } });
    const find = screen.getByRole("button", { name: "Add and find agents" });
    fireEvent.click(find);
    expect(await screen.findByText("Finding agents needs the gateway URL.")).toBeInTheDocument();
    expect(screen.getByText("Finding agents needs the gateway token.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    fireEvent.input(screen.getByLabelText("Gateway URL"), { target: { value: "ws://10.0.0.9:18789" } });
    fireEvent.input(screen.getByLabelText("Gateway token (write-only)"), { target: { value: "gw-s3cret" } });
    fireEvent.click(find);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(onSaved.mock.calls[0]?.[1]).toEqual({ findAgents: true });
    expect(calls[0]?.body).toMatchObject({ handle: "dana", gatewayUrl: "ws://10.0.0.9:18789", agentId: "main", token: "gw-s3cret" });
    // the token is cleared from the form once stored
    expect(screen.getByLabelText("Gateway token (write-only)")).toHaveValue("");
  });

  it("the plain Add teammate tells the caller it was not a find-agents add", async () => {
    mockFetch({ "POST /teammates": { status: 201, body: teammate("ed") } });
    const onSaved = vi.fn();
    render(() => <TeammateForm onSaved={onSaved} onCancel={() => {}} />);
    fireEvent.input(screen.getByLabelText("Handle"), { target: { value: "ed" } });
    fireEvent.input(screen.getByLabelText("Name"), { target: { value: "Ed" } });
    fireEvent.click(screen.getByRole("button", { name: "Add teammate" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(onSaved.mock.calls[0]?.[1]).toEqual({ findAgents: false });
    expect(screen.queryByText(/Finding agents needs/)).toBeNull();
  });
});
