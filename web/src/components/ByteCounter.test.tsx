import { render, screen } from "@solidjs/testing-library";
import { ByteCounter, byteLevel } from "./ByteCounter.tsx";

describe("byte counter", () => {
  it("counts UTF-8 bytes, not characters", () => {
    // "é" is 2 bytes, "€" 3, "😀" 4
    render(() => <ByteCounter text={"é€😀"} soft={100} hard={200} />);
    expect(screen.getByText(/9 \/ 200 bytes/)).toBeInTheDocument();
  });

  it("levels: at the soft limit ok, above it warn, above the hard limit over", () => {
    expect(byteLevel(10, 10, 20)).toBe("ok");
    expect(byteLevel(11, 10, 20)).toBe("warn");
    expect(byteLevel(20, 10, 20)).toBe("warn");
    expect(byteLevel(21, 10, 20)).toBe("over");
  });

  it("turns to warning above the soft limit and to error above the hard limit with multibyte text", () => {
    const { container, unmount } = render(() => <ByteCounter text={"😀".repeat(2)} soft={10} hard={20} />);
    expect(container.querySelector(".byte-counter")).toHaveAttribute("data-level", "ok"); // 8 bytes, 2 chars
    unmount();
    const warn = render(() => <ByteCounter text={"😀".repeat(3)} soft={10} hard={20} />); // 12 bytes, 3 chars
    expect(warn.container.querySelector(".byte-counter")).toHaveAttribute("data-level", "warn");
    expect(warn.container.textContent).toMatch(/above the soft limit/);
    warn.unmount();
    const over = render(() => <ByteCounter text={"日本語テキスト"} soft={10} hard={20} />); // 7 chars, 21 bytes
    expect(over.container.querySelector(".byte-counter")).toHaveAttribute("data-level", "over");
    expect(over.container.textContent).toMatch(/too large/);
  });
});
