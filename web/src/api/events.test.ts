import { connectEvents, disconnectEvents, eventsState } from "./events.ts";
import { onUnauthenticated } from "./client.ts";

/** A stand-in for the browser WebSocket that the test closes by hand. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onmessage: ((m: { data: unknown }) => void) | null = null;
  onerror: (() => void) | null = null;
  url: string;
  constructor(url: string) {
    this.url = url;
    FakeSocket.made.push(this);
  }
  close() {}
}

describe("events socket", () => {
  const real = globalThis.WebSocket;
  beforeEach(() => {
    FakeSocket.made = [];
    vi.useFakeTimers();
    globalThis.WebSocket = FakeSocket as unknown as typeof WebSocket;
  });
  afterEach(() => {
    disconnectEvents();
    onUnauthenticated(null);
    vi.useRealTimers();
    globalThis.WebSocket = real;
  });

  it("reconnects after an ordinary close", () => {
    connectEvents();
    FakeSocket.made[0]!.onopen?.();
    expect(eventsState()).toBe("open");
    FakeSocket.made[0]!.onclose?.({ code: 1006 });
    expect(eventsState()).toBe("closed");
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.made).toHaveLength(2);
  });

  it("stops and reports the ended session when the server closes with 4401", () => {
    const ended = vi.fn();
    onUnauthenticated(ended);
    connectEvents();
    FakeSocket.made[0]!.onopen?.();
    FakeSocket.made[0]!.onclose?.({ code: 4401 });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(eventsState()).toBe("idle");
    vi.advanceTimersByTime(120_000);
    expect(FakeSocket.made).toHaveLength(1); // no reconnect storm of 401s
  });
});
