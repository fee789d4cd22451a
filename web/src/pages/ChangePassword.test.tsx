import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { mockFetch, sessionRoutes } from "../lib/test-utils.ts";
import { loadSession, session } from "../stores/session.ts";
import ChangePassword from "./ChangePassword.tsx";

const flagged = { kind: "user", name: "nora", role: "operator", mustChangePassword: true };

describe("choose a new password (one-time password handed over by an admin)", () => {
  afterEach(() => vi.unstubAllGlobals());

  const fill = (current: string, next: string, again = next) => {
    fireEvent.input(screen.getByLabelText("One-time password"), { target: { value: current } });
    fireEvent.input(screen.getByLabelText("New password"), { target: { value: next } });
    fireEvent.input(screen.getByLabelText("New password again"), { target: { value: again } });
  };

  it("a flagged session opens this page only (no config, no events); changing it signs in to Home", async () => {
    vi.stubGlobal("WebSocket", undefined);
    const { calls } = mockFetch({
      ...sessionRoutes("operator"),
      "GET /auth/me": { body: flagged },
      "POST /auth/password": { body: { ...flagged, mustChangePassword: false } },
    });
    await loadSession();
    expect(session.state()).toBe("must-change-password");
    expect(calls.some((c) => c.path === "/config")).toBe(false);
    window.location.hash = "#/users";
    render(() => <ChangePassword />);
    expect(screen.getByRole("heading", { name: "Choose a new password" })).toBeInTheDocument();
    fill("otp-otp-otp-otp", "my own password", "my own passwort");
    expect(screen.getByText("The two new passwords differ")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Change password and continue" })).toBeDisabled();
    fill("otp-otp-otp-otp", "my own password");
    fireEvent.click(screen.getByRole("button", { name: "Change password and continue" }));
    await waitFor(() => expect(session.state()).toBe("signed-in"));
    expect(calls.find((c) => c.method === "POST" && c.path === "/auth/password")?.body).toEqual({ currentPassword: "otp-otp-otp-otp", newPassword: "my own password" });
    expect(window.location.hash).toBe("#/home");
    expect(session.config().msgHardLimit).toBe(8192);
  });

  it("shows the server's refusal (same password: next to the new password field)", async () => {
    vi.stubGlobal("WebSocket", undefined);
    mockFetch({
      "GET /auth/me": { body: flagged },
      "POST /auth/password": {
        status: 400,
        body: {
          error: {
            code: "PASSWORD_UNCHANGED",
            message: "The new password must differ from the current one",
            details: { issues: [{ path: "newPassword", message: "must differ from the current password", code: "custom" }] },
          },
        },
      },
    });
    await loadSession();
    render(() => <ChangePassword />);
    fill("same-same-same", "same-same-same");
    fireEvent.click(screen.getByRole("button", { name: "Change password and continue" }));
    await screen.findByText(/must differ from the current password/);
    expect(session.state()).toBe("must-change-password");
  });
});
