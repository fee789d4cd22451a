import { issueText, issuesText } from "./issue-text.ts";

describe("validation issues in words", () => {
  it("a message that names its field stands alone (no 'password: password: ...')", () => {
    expect(issueText({ path: ["password"], message: "Password must be at least 10 characters" })).toBe("Password must be at least 10 characters");
    expect(issueText({ path: "session", message: "session: 1-128 of letters" })).toBe("session: 1-128 of letters");
    expect(issueText({ path: ["expiresAt"], message: "expiresAt must be in the future" })).toBe("expiresAt must be in the future");
  });
  it("zod's default messages get their field in front; no path, no prefix", () => {
    expect(issueText({ path: ["role"], message: 'Invalid option: expected one of "admin"|"operator"' })).toBe('role: Invalid option: expected one of "admin"|"operator"');
    expect(issueText({ path: ["a", 0, "name"], message: "Too small" })).toBe("a.0.name: Too small");
    expect(issueText({ path: [], message: "Invalid input" })).toBe("Invalid input");
    // a field name that is only part of a word does not count as named
    expect(issueText({ path: ["to"], message: "Too small" })).toBe("to: Too small");
  });
  it("joins several; the fallback when there are none", () => {
    expect(issuesText([{ path: ["password"], message: "Password must be at least 10 characters" }, { path: ["role"], message: "Required" }], "x")).toBe(
      "Password must be at least 10 characters; role: Required",
    );
    expect(issuesText([], "Invalid request json")).toBe("Invalid request json");
  });
});
