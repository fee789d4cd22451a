import { render, screen } from "@solidjs/testing-library";
import { ApiError, api, request } from "../api/client.ts";
import { mockFetch } from "../lib/test-utils.ts";
import { ErrorNote } from "./ErrorNote.tsx";

describe("API errors", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("turns an error body into a typed ApiError", async () => {
    mockFetch({
      "POST /teammates": {
        status: 409,
        body: { error: { code: "HANDLE_TAKEN", message: "Handle alice is taken", details: { handle: "alice" } } },
      },
    });
    const err = await api.createTeammate({ handle: "alice", name: "Alice" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "HANDLE_TAKEN", status: 409, message: "Handle alice is taken", details: { handle: "alice" } });
  });

  it("sends cookies same-origin and the CSRF header only on state-changing requests", async () => {
    const { calls } = mockFetch({ "GET /teammates": { body: { items: [] } }, "POST /ping": { body: { teammates: [] } } });
    await api.teammates();
    await api.ping();
    expect(calls[0]).toMatchObject({ method: "GET", credentials: "same-origin" });
    expect(calls[0]?.headers["X-Requested-With"]).toBeUndefined();
    expect(calls[1]).toMatchObject({ method: "POST", credentials: "same-origin" });
    expect(calls[1]?.headers["X-Requested-With"]).toBe("team-mesh");
  });

  it("reports a server that cannot be reached as NETWORK_ERROR and a non-JSON failure as BAD_RESPONSE", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(request("GET", "/config")).rejects.toMatchObject({ code: "NETWORK_ERROR", status: 0 });
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" })));
    await expect(request("GET", "/config")).rejects.toMatchObject({ code: "BAD_RESPONSE", status: 502 });
  });

  it("times out instead of waiting forever", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(
        (_u: unknown, init: RequestInit) =>
          new Promise((_r, reject) => init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
      ),
    );
    await expect(request("GET", "/config", { timeoutMs: 20 })).rejects.toMatchObject({ code: "REQUEST_TIMEOUT" });
  });

  it("shows plain words and the code; FORBIDDEN names the permission", () => {
    const err = new ApiError("FORBIDDEN", "Forbidden", 403, { needs: "broadcast:confirm", roles: ["admin", "operator"] });
    render(() => <ErrorNote error={err} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Your role is not allowed to do this.");
    expect(alert).toHaveTextContent("FORBIDDEN");
    expect(alert).toHaveTextContent("Needs permission broadcast:confirm (roles with it: admin, operator).");
  });

  it("lists validation issues", () => {
    const err = new ApiError("VALIDATION_FAILED", "Invalid request json", 400, {
      issues: [{ path: "session", message: "session: 1-128 of letters", code: "invalid_format" }],
    });
    render(() => <ErrorNote error={err} />);
    expect(screen.getByRole("alert")).toHaveTextContent("session: 1-128 of letters");
    expect(screen.getByRole("alert")).not.toHaveTextContent("session: session:");
    expect(screen.getByRole("alert")).toHaveTextContent("VALIDATION_FAILED");
  });

  it("a wrong setup code says so (not 'wrong username or password'); a short password in words", () => {
    render(() => <ErrorNote error={new ApiError("SETUP_CODE_WRONG", "The setup code is wrong: use the one the server printed", 401)} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("The setup code is wrong.");
    expect(alert).not.toHaveTextContent(/username or password/i);
  });

  it("a single validation issue is shown once, in the server's words", () => {
    const err = new ApiError("VALIDATION_FAILED", "Password must be at least 10 characters", 400, {
      issues: [{ path: "password", message: "Password must be at least 10 characters", code: "too_small" }],
    });
    render(() => <ErrorNote error={err} />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent?.split("Password must be at least 10 characters").length).toBe(2);
    expect(alert).not.toHaveTextContent("Invalid request");
  });
});
