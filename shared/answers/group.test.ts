import { EDIT_MIN, editDistanceWithin, groupAnswers, nearIdentical, normalizeAnswer, tokenJaccard } from "./group.ts";
import { answersMarkdown } from "./markdown.ts";

const a = (handle: string, reply: string | null, status = reply === null ? "timeout" : "replied") => ({ handle, reply, status });

describe("normalizeAnswer", () => {
  it("drops case, punctuation and extra whitespace, keeps words", () => {
    expect(normalizeAnswer("  Yes,   the BUILD is green!!\n")).toBe("yes the build is green");
    expect(normalizeAnswer("Don’t deploy.")).toBe("dont deploy");
    expect(normalizeAnswer("ｆｕｌｌ width")).toBe("full width"); // NFKC
    expect(normalizeAnswer("...")).toBe("");
  });
});

describe("similarity measures", () => {
  it("token-set Jaccard", () => {
    expect(tokenJaccard("a b c d", "a b c d e")).toBe(0.8);
    expect(tokenJaccard("yes", "no")).toBe(0);
    expect(tokenJaccard("", "")).toBe(1);
  });

  it("bounded edit distance is exact within k and null beyond", () => {
    expect(editDistanceWithin("kitten", "sitting", 3)).toBe(3);
    expect(editDistanceWithin("kitten", "sitting", 2)).toBeNull();
    expect(editDistanceWithin("", "abc", 3)).toBe(3);
    expect(editDistanceWithin("abc", "abc", 0)).toBe(0);
    expect(editDistanceWithin("abcdef", "ab", 3)).toBeNull(); // length gap alone exceeds k
    expect(editDistanceWithin("flaw", "lawn", 2)).toBe(2);
    expect(editDistanceWithin("héllo wörld", "hello world", 2)).toBe(2); // code points
  });

  it("bounded edit distance agrees with the full one on random strings", () => {
    const full = (x: string, y: string) => {
      const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...new Array<number>(y.length).fill(0)]);
      for (let j = 1; j <= y.length; j++) d[0]![j] = j;
      for (let i = 1; i <= x.length; i++)
        for (let j = 1; j <= y.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      return d[x.length]![y.length]!;
    };
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const word = () => Array.from({ length: rnd(12) }, () => "abc"[rnd(3)]).join("");
    for (let t = 0; t < 500; t++) {
      const x = word();
      const y = word();
      const k = rnd(8);
      const d = full(x, y);
      expect(editDistanceWithin(x, y, k)).toBe(d <= k ? d : null);
    }
  });

  it("near-identical: same words, or a typo; not a different answer", () => {
    expect(nearIdentical("the build is green", "the build is green now")).toBe(true);
    expect(nearIdentical("deploy finished at noon", "deploy finsihed at noon")).toBe(true);
    expect(nearIdentical("yes", "no")).toBe(false);
    expect(nearIdentical("the build is green", "the build is red")).toBe(false);
    expect(EDIT_MIN).toBeGreaterThan(0.5);
  });
});

describe("groupAnswers", () => {
  it("identical answers (after normalizing) form one group with their count", () => {
    const r = groupAnswers([a("ann", "Yes."), a("bob", "yes"), a("cy", "  YES!  ")]);
    expect(r.groups).toHaveLength(1);
    expect(r.groups[0]).toMatchObject({ n: 1, text: "Yes.", kind: "identical" });
    expect(r.groups[0]!.members.map((m) => m.handle)).toEqual(["ann", "bob", "cy"]);
    expect(r.noAnswer).toEqual([]);
  });

  it("near-identical answers join the group, marked similar", () => {
    const r = groupAnswers([a("ann", "The build is green"), a("bob", "the build is green now"), a("cy", "The build is gren")]);
    expect(r.groups).toHaveLength(1);
    expect(r.groups[0]!.kind).toBe("similar");
    expect(r.groups[0]!.members).toHaveLength(3);
  });

  it("different answers stay apart, largest group first, ties in input order; no reply listed apart", () => {
    const r = groupAnswers([
      a("ann", "no"),
      a("bob", "Ship it on Friday"),
      a("cy", null),
      a("dee", "ship it on friday."),
      a("eve", "The release is blocked by the database migration"),
      a("fay", null, "unreachable"),
    ]);
    expect(r.groups.map((g) => [g.n, g.text, g.members.length])).toEqual([
      [1, "Ship it on Friday", 2],
      [2, "no", 1],
      [3, "The release is blocked by the database migration", 1],
    ]);
    expect(r.noAnswer.map((x) => x.handle)).toEqual(["cy", "fay"]);
  });

  it("an empty reply is an answer of its own, not 'no answer'", () => {
    const r = groupAnswers([a("ann", ""), a("bob", "   "), a("cy", "ok")]);
    expect(r.groups.map((g) => g.members.length)).toEqual([2, 1]);
    expect(r.noAnswer).toEqual([]);
  });

  it("long answers are compared by tokens only and stay fast", () => {
    const long = Array.from({ length: 1000 }, (_, i) => `w${i}`).join(" "); // > EDIT_MAX_CHARS
    const started = performance.now();
    const r = groupAnswers(Array.from({ length: 50 }, (_, i) => a(`h${i}`, `${long} variant ${i % 5}`)));
    expect(r.groups).toHaveLength(1); // token sets differ by one word in ~1000
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("answersMarkdown", () => {
  it("lists groups with counts and handles, fences replies so a reply cannot break out", () => {
    const grouped = groupAnswers([a("ann", "ok"), a("bob", "OK!"), a("cy", "nope ``` # injected"), a("dee", null)]);
    const md = answersMarkdown({ id: "bc_1", message: "ready?" }, grouped, ["replied", "timeout"]);
    expect(md).toContain("# Answers to broadcast bc_1");
    expect(md).toContain("Only recipients whose status is: replied, timeout.");
    expect(md).toContain("3 answers in 2 groups; 1 without an answer.");
    expect(md).toContain("## 1. 2 answers: @ann, @bob");
    expect(md).toContain("````text\nnope ``` # injected\n````");
    expect(md).toContain("- @dee: timeout");
  });

  it("keeps every wording of a near-identical group", () => {
    const md = answersMarkdown({ id: "b", message: "m" }, groupAnswers([a("ann", "The build is green"), a("bob", "the build is green now")]));
    expect(md).toContain("(near-identical)");
    expect(md).toContain("@bob wrote:\n\n```text\nthe build is green now\n```");
  });
});
