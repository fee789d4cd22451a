// One validation issue in words, for the server's error message and the dashboard's list.
// Our schemas' messages name their field ("Password must be at least 10 characters"), zod's
// defaults do not ("Too small: expected string to have >=1 characters"): only those get the
// field put in front, so a message never reads "password: password: ...". Zod-free (web bundle).

export interface IssueLike {
  path?: unknown;
  message: string;
}

function pathText(path: unknown): string {
  if (Array.isArray(path)) return path.map(String).join(".");
  return typeof path === "string" ? path : "";
}

export function issueText(issue: IssueLike): string {
  const path = pathText(issue.path);
  if (!path) return issue.message;
  const field = path.split(".").pop() ?? path;
  // a message that names its field already (any case) stands alone
  const word = field.replace(/[^A-Za-z0-9_]/g, "");
  const named = word !== "" && new RegExp(`\\b${word}\\b`, "i").test(issue.message);
  return named ? issue.message : `${path}: ${issue.message}`;
}

/** The whole error in words: the issues' texts joined, or the fallback when there are none. */
export function issuesText(issues: readonly IssueLike[], fallback: string): string {
  return issues.length ? issues.map(issueText).join("; ") : fallback;
}
