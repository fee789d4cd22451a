import { dispatch } from "../api/events.ts";
import { message } from "../lib/fixtures.ts";
import { messages, putMessage } from "./messages.ts";

describe("messages store", () => {
  it("streams cumulative deltas, accepts increments, and drops them when the final message arrives", () => {
    putMessage(message({ id: "m1", status: "sending", exchanges: [], completedAt: null }));
    dispatch({ type: "message.delta", id: "m1", round: 1, text: "Hel" });
    dispatch({ type: "message.delta", id: "m1", round: 1, text: "Hello wor" });
    expect(messages.deltas.m1?.[1]).toBe("Hello wor");
    dispatch({ type: "message.delta", id: "m1", round: 1, text: "ld" });
    expect(messages.deltas.m1?.[1]).toBe("Hello world");
    dispatch({ type: "message.updated", message: message({ id: "m1", status: "replied" }) });
    expect(messages.byId.m1?.status).toBe("replied");
    expect(messages.deltas.m1).toBeUndefined();
    dispatch({ type: "message.delta", id: "m1", round: 1, text: "late" });
    expect(messages.deltas.m1).toBeUndefined();
  });
});
