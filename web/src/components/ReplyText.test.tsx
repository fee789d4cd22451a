import { render, screen } from "@solidjs/testing-library";
import { message, recipient, broadcast } from "../lib/fixtures.ts";
import { ReplyText } from "./ReplyText.tsx";
import { MessageView } from "./MessageView.tsx";
import { BroadcastBoard } from "./BroadcastBoard.tsx";

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = "<script>window.__pwned=2</script>";

describe("untrusted text", () => {
  afterEach(() => {
    delete (window as { __pwned?: number }).__pwned;
  });

  it("renders HTML in a reply as text", () => {
    const { container } = render(() => <ReplyText text={`${IMG}\n${SCRIPT}`} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("pre")?.textContent).toBe(`${IMG}\n${SCRIPT}`);
  });

  it("message view shows a hostile reply and message as text", () => {
    const m = message({
      exchanges: [{ ...message().exchanges[0]!, message: SCRIPT, reply: IMG }],
    });
    const { container } = render(() => <MessageView message={m} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(screen.getByLabelText("Reply")).toHaveTextContent(IMG);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("broadcast board shows hostile first lines and names as text", () => {
    const b = broadcast({
      state: "completed",
      recipients: [recipient("alice", { status: "replied", reply: `${IMG}\nsecond`, name: "<b>Al</b>" })],
    });
    const { container } = render(() => <BroadcastBoard broadcast={b} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(screen.getByText(IMG)).toBeInTheDocument();
  });
});
