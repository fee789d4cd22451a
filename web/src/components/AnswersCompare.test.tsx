import { fireEvent, render, screen, waitFor, within } from "@solidjs/testing-library";
import { broadcast, recipient } from "../lib/fixtures.ts";
import { AnswersCompare } from "./AnswersCompare.tsx";

const b = broadcast({
  state: "completed",
  confirmedAt: "2026-01-02T03:05:00.000Z",
  recipients: [
    recipient("ann", { status: "replied", reply: "Ship it on Friday." }),
    recipient("bob", { status: "replied", reply: "ship it on friday" }),
    recipient("cy", { status: "replied", reply: "The build is green" }),
    recipient("dee", { status: "replied", reply: "the build is green now" }),
    recipient("eve", { status: "replied", reply: "No: the migration blocks it" }),
    recipient("fay", { status: "timeout", reply: null }),
  ],
});

describe("answers compared", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("groups identical and near-identical answers with counts, largest first; lists who did not answer", () => {
    render(() => <AnswersCompare broadcast={b} />);
    const groups = within(screen.getByRole("list", { name: "Answer groups, largest first" })).getAllByRole("listitem");
    expect(groups.map((g) => g.dataset.count)).toEqual(["2", "2", "1"]);
    expect(groups[0]).toHaveTextContent("2 answers @ann, @bobShip it on Friday.");
    expect(within(groups[0]!).queryByText("near-identical")).toBeNull();
    expect(within(groups[1]!).getByText("near-identical")).toBeInTheDocument();
    expect(groups[1]).toHaveTextContent("@cy, @dee");
    expect(screen.getByTestId("answers-summary")).toHaveTextContent("5 answers in 3 groups; 1 recipient without an answer.");
    expect(screen.getByTestId("no-answer")).toHaveTextContent("@fay");
  });

  it("filters by status, and the export links carry the filter", () => {
    render(() => <AnswersCompare broadcast={b} />);
    const csv = () => screen.getByRole("link", { name: "CSV" }).getAttribute("href");
    expect(csv()).toBe("/api/v1/broadcasts/bc_1/answers?format=csv");
    fireEvent.click(screen.getByRole("checkbox", { name: "timed out (1)" }));
    expect(screen.getByTestId("answers-summary")).toHaveTextContent("0 answers in 0 groups; 1 recipient without an answer.");
    expect(screen.queryByRole("list", { name: /Answer groups/ })).toBeNull();
    expect(csv()).toBe("/api/v1/broadcasts/bc_1/answers?format=csv&status=timeout");
    expect(screen.getByRole("link", { name: "Markdown" })).toHaveAttribute("download");
    fireEvent.click(screen.getByRole("button", { name: "Show all" }));
    expect(screen.getByTestId("answers-summary")).toHaveTextContent("5 answers in 3 groups");
  });

  it("'Copy all' copies every group as Markdown", async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    render(() => <AnswersCompare broadcast={b} />);
    fireEvent.click(screen.getByRole("button", { name: "Copy all (Markdown)" }));
    await waitFor(() => expect(writeText).toHaveBeenCalledTimes(1));
    const md = (writeText.mock.calls[0] as unknown as [string])[0];
    expect(md).toContain("# Answers to broadcast bc_1");
    expect(md).toContain("## 1. 2 answers: @ann, @bob");
    expect(md).toContain("## 2. 2 answers (near-identical): @cy, @dee");
    expect(md).toContain("- @fay: timeout");
    expect(await screen.findByRole("button", { name: "Copied" })).toBeInTheDocument();
  });
});
