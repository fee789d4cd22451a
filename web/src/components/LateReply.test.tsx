import { render, screen } from "@solidjs/testing-library";
import { message } from "../lib/fixtures.ts";
import { MessageView, latencyText } from "./MessageView.tsx";

describe("a late reply", () => {
  it("shows 'late reply, after N s', not the timeout as if it were the reply's latency", () => {
    const x = { ...message().exchanges[0]!, status: "replied" as const, reply: "sorry, was busy", latencyMs: 60_012, late: true };
    render(() => <MessageView message={message({ exchanges: [x], timeoutSec: 60 })} />);
    expect(screen.getByText(/late reply, after 60 s/)).toBeInTheDocument();
    expect(screen.queryByText(/latency 60/)).toBeNull();
    expect(screen.getByText("Reply (late: it came after the 60 s timeout and was fetched later)")).toBeInTheDocument();
  });

  it("an on-time reply keeps its latency", () => {
    render(() => <MessageView message={message()} />);
    expect(screen.getByText(/latency 42 ms/)).toBeInTheDocument();
    expect(screen.queryByText(/late reply/)).toBeNull();
    expect(latencyText({ latencyMs: null, late: true }, 30)).toBe("late reply, after 30 s");
    expect(latencyText({ latencyMs: 1500 }, 30)).toBe("1.50 s");
  });
});
