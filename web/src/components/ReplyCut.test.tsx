import { fireEvent, render, screen } from "@solidjs/testing-library";
import { broadcast, message, recipient } from "../lib/fixtures.ts";
import { BroadcastBoard } from "./BroadcastBoard.tsx";
import { MessageView } from "./MessageView.tsx";

describe("a reply cut to MESH_REPLY_MAX_BYTES", () => {
  it("the message view says how much of how much was kept", () => {
    const m = message({ exchanges: [{ ...message().exchanges[0]!, reply: "éa", replyFullBytes: 20_000_000 }] });
    render(() => <MessageView message={m} />);
    expect(screen.getByRole("note")).toHaveTextContent("Reply truncated: the first 3 B of 20,000,000 B are kept.");
  });

  it("a whole reply has no such note", () => {
    render(() => <MessageView message={message()} />);
    expect(screen.queryByRole("note")).toBeNull();
  });

  it("the broadcast board says so under the opened reply", () => {
    const b = broadcast({ state: "completed", recipients: [recipient("ann", { status: "replied", reply: "part", replyFullBytes: 300_000 })] });
    render(() => <BroadcastBoard broadcast={b} />);
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    expect(screen.getByRole("note")).toHaveTextContent("the first 4 B of 300,000 B are kept");
  });
});
