import { render, screen } from "@solidjs/testing-library";
import { broadcast, message, recipient } from "../lib/fixtures.ts";
import { BroadcastBoard } from "./BroadcastBoard.tsx";
import { MessageView } from "./MessageView.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

describe("cancelled after chat.send may have left", () => {
  it("the badge says it may have been delivered (a warning, not a plain cancel)", () => {
    render(() => <StatusBadge status="cancelled_after_send" />);
    const badge = screen.getByText("cancelled — may have been delivered");
    expect(badge).toHaveClass("warn");
    expect(badge).toHaveAttribute("data-status", "cancelled_after_send");
  });

  it("the message view shows a reply the agent sent after the cancel, labelled as such", () => {
    const x = { ...message().exchanges[0]!, status: "cancelled_after_send" as const, reply: "did it anyway", error: { code: "CANCELLED", message: "cancelled after the message may have been delivered" } };
    render(() => <MessageView message={message({ status: "cancelled_after_send", exchanges: [x] })} />);
    expect(screen.getAllByText("cancelled — may have been delivered").length).toBeGreaterThan(0);
    expect(screen.getByText("Reply (the agent answered after the cancel)")).toBeInTheDocument();
    expect(screen.getByText("did it anyway")).toBeInTheDocument();
  });

  it("the broadcast board labels such a recipient readably", () => {
    const b = broadcast({ state: "cancelled", recipients: [recipient("zed", { status: "cancelled_after_send" })] });
    render(() => <BroadcastBoard broadcast={b} />);
    expect(screen.getByText("cancelled — may have been delivered")).toBeInTheDocument();
  });
});
