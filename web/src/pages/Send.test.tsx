import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { MESSAGE_HARD_LIMIT_DEFAULT, MESSAGE_SOFT_LIMIT_DEFAULT } from "../../../shared/limits.ts";
import { mockFetch } from "../lib/test-utils.ts";
import { teammate } from "../lib/fixtures.ts";
import SendPage from "./Send.tsx";

describe("send page", () => {
  beforeEach(() => {
    mockFetch({
      "GET /teammates": { body: { items: [teammate("alice", { displayName: "Alice Wonder" }), teammate("bob")] } },
      "GET /messages": { body: { items: [] } },
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("blocks Send above the hard limit (bytes of multibyte text) and allows it at the limit", async () => {
    render(() => <SendPage />);
    const to = screen.getByLabelText("To");
    fireEvent.input(to, { target: { value: "wonder" } });
    // the picker matches the display name
    await waitFor(() => expect(screen.getByRole("option", { name: /Alice Wonder/ })).toBeInTheDocument());
    fireEvent.mouseDown(screen.getByRole("option", { name: /Alice Wonder/ }));
    expect(to).toHaveValue("alice");

    const send = screen.getByRole("button", { name: "Send" });
    const box = screen.getByLabelText("Message");
    // "€" is 3 bytes: hard/3 of them is exactly at the limit (8192 is not divisible by 3: use 2730 + "ab")
    const atLimit = "€".repeat(Math.floor(MESSAGE_HARD_LIMIT_DEFAULT / 3)) + "a".repeat(MESSAGE_HARD_LIMIT_DEFAULT % 3);
    fireEvent.input(box, { target: { value: atLimit } });
    expect(send).toBeEnabled();
    expect(screen.getByText(/above the soft limit/)).toBeInTheDocument();

    fireEvent.input(box, { target: { value: `${atLimit}é` } });
    expect(send).toBeDisabled();
    expect(screen.getByText(/too large/)).toBeInTheDocument();
    expect(box).toHaveAttribute("aria-invalid", "true");

    fireEvent.input(box, { target: { value: "a".repeat(MESSAGE_SOFT_LIMIT_DEFAULT) } });
    expect(send).toBeEnabled();
    expect(screen.queryByText(/above the soft limit/)).not.toBeInTheDocument();
  });
});
