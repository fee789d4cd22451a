import { render, screen } from "@solidjs/testing-library";
import { SharedGatewayNote } from "./SharedGatewayNote.tsx";

describe("shared gateway note", () => {
  it("names the teammates sharing the gateway", () => {
    render(() => <SharedGatewayNote handles={["bob", "carol"]} />);
    expect(screen.getByRole("note")).toHaveTextContent("Shares its gateway with @bob, @carol");
  });

  it("shows nothing for a gateway of its own", () => {
    render(() => <SharedGatewayNote handles={[]} />);
    expect(screen.queryByRole("note")).toBeNull();
  });
});
