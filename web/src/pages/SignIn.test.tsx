import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { mockFetch } from "../lib/test-utils.ts";
import { loadSession, session } from "../stores/session.ts";
import { SignIn } from "./SignIn.tsx";

describe("sign in / first-run setup", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("asks for the setup code when the server says setup is required, and posts it", async () => {
    const me = { kind: "user", name: "root", role: "admin" };
    const { calls } = mockFetch({
      "GET /auth/me": { status: 401, body: { error: { code: "UNAUTHENTICATED", message: "Sign in first" } } },
      "GET /auth/setup": { body: { setupRequired: true } },
      "POST /auth/setup": { body: me },
      "GET /config": { body: { msgSoftLimit: 100, msgHardLimit: 200, roundsMax: 3, timeoutSecMax: 60, timeoutSecDefault: 30, syncConfigured: true, fallbackConfigured: false, version: "t" } },
    });
    vi.stubGlobal("WebSocket", undefined);
    await loadSession();
    expect(session.state()).toBe("signed-out");
    render(() => <SignIn />);
    expect(screen.getByRole("heading", { name: "Set up Team Mesh" })).toBeInTheDocument();
    fireEvent.input(screen.getByLabelText("Setup code"), { target: { value: " ABC-123 " } });
    fireEvent.input(screen.getByLabelText("Username"), { target: { value: "root" } });
    fireEvent.input(screen.getByLabelText("Password"), { target: { value: "long-enough-password" } });
    fireEvent.click(screen.getByRole("button", { name: "Create admin and sign in" }));
    await waitFor(() => expect(session.state()).toBe("signed-in"));
    expect(calls.find((c) => c.path === "/auth/setup" && c.method === "POST")?.body).toEqual({
      setupCode: "ABC-123",
      username: "root",
      password: "long-enough-password",
    });
    expect(session.config().msgHardLimit).toBe(200);
    expect(session.can("keys:manage")).toBe(true);
  });

  it("shows a wrong password next to the form with its code", async () => {
    mockFetch({
      "POST /auth/login": { status: 401, body: { error: { code: "INVALID_CREDENTIALS", message: "Wrong username or password" } } },
    });
    render(() => <SignIn />);
    fireEvent.input(screen.getByLabelText("Username"), { target: { value: "admin" } });
    fireEvent.input(screen.getByLabelText("Password"), { target: { value: "nope" } });
    fireEvent.click(screen.getByRole("button", { name: /Sign in|Create admin/ }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("INVALID_CREDENTIALS");
  });
});
