// Groups a broadcast's replies into identical and near-identical answers. Zod-free and pure, so
// the server's export (GET /broadcasts/{id}/answers) and the dashboard's compare view agree.
//
// Identical: the same text after normalize() (Unicode NFKC, lower case, punctuation dropped,
// whitespace collapsed). Near-identical: token-set Jaccard ≥ JACCARD_MIN (same words, order and
// repeats ignored: "the build is green" ~ "the build is green now") or an edit-distance similarity
// ≥ EDIT_MIN on the normalized text (typos: "deploy finished" ~ "deploy finsihed"). Each answer
// joins the first group whose first answer is close enough (greedy, in input order): cheap and
// deterministic, at the price that "close to close" is not always joined.

export const JACCARD_MIN = 0.8;
export const EDIT_MIN = 0.85;
/** Above this many characters (normalized) only the token-set test runs: the edit distance is O(n·k). */
export const EDIT_MAX_CHARS = 2000;

export interface Answerable {
  reply: string | null;
}

export interface AnswerGroup<T extends Answerable> {
  /** 1-based, in the order of the groups (largest first). */
  n: number;
  /** The group's first answer as it was sent (the others are identical or close to it). */
  text: string;
  normalized: string;
  /** identical: every member normalizes to the same text; similar: some are only close. */
  kind: "identical" | "similar";
  members: T[];
}

export interface GroupedAnswers<T extends Answerable> {
  groups: AnswerGroup<T>[];
  /** Items without a reply (still queued, timed out, failed...). */
  noAnswer: T[];
}

const PUNCT = /[\p{P}]+/gu;
const APOSTROPHE = /['’ʼ`]/gu;

export function normalizeAnswer(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(APOSTROPHE, "").replace(PUNCT, " ").replace(/\s+/gu, " ").trim();
}

export function tokenJaccard(a: string, b: string): number {
  const sa = new Set(a.split(" ").filter(Boolean));
  const sb = new Set(b.split(" ").filter(Boolean));
  if (sa.size === 0 && sb.size === 0) return 1;
  let inter = 0;
  for (const t of sa) if (sb.has(t)) inter += 1;
  return inter / (sa.size + sb.size - inter);
}

/**
 * Levenshtein distance between a and b (code points) if it is at most k, else null. Only the
 * diagonal band of width 2k+1 is computed, so it costs O(max(len)·k), not O(len²).
 */
export function editDistanceWithin(a: string, b: string, k: number): number | null {
  const x = Array.from(a);
  const y = Array.from(b);
  const n = x.length;
  const m = y.length;
  if (Math.abs(n - m) > k) return null;
  const INF = k + 1;
  let prev = new Array<number>(m + 2).fill(INF);
  let cur = new Array<number>(m + 2).fill(INF);
  for (let j = 0; j <= Math.min(m, k); j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - k);
    const hi = Math.min(m, i + k);
    cur[0] = i <= k ? i : INF;
    if (lo > 1) cur[lo - 1] = INF;
    let rowMin = lo === 1 ? cur[0] : INF;
    for (let j = lo; j <= hi; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      const v = Math.min((prev[j - 1] ?? INF) + cost, (prev[j] ?? INF) + 1, (cur[j - 1] ?? INF) + 1, INF);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) cur[hi + 1] = INF;
    if (rowMin > k) return null;
    [prev, cur] = [cur, prev];
  }
  const d = prev[m] ?? INF;
  return d <= k ? d : null;
}

/** Whether two normalized answers count as the same answer. */
export function nearIdentical(a: string, b: string): boolean {
  if (a === b) return true;
  if (tokenJaccard(a, b) >= JACCARD_MIN) return true;
  const longest = Math.max(Array.from(a).length, Array.from(b).length);
  if (longest === 0 || longest > EDIT_MAX_CHARS) return false;
  const k = Math.floor((1 - EDIT_MIN) * longest);
  const d = editDistanceWithin(a, b, k);
  return d !== null && 1 - d / longest >= EDIT_MIN;
}

export function groupAnswers<T extends Answerable>(items: readonly T[]): GroupedAnswers<T> {
  const open: { text: string; normalized: string; identical: boolean; members: T[]; first: number }[] = [];
  const exact = new Map<string, (typeof open)[number]>();
  const noAnswer: T[] = [];
  items.forEach((item, i) => {
    if (item.reply === null) {
      noAnswer.push(item);
      return;
    }
    const norm = normalizeAnswer(item.reply);
    const same = exact.get(norm);
    if (same) {
      same.members.push(item);
      return;
    }
    const close = open.find((g) => nearIdentical(g.normalized, norm));
    if (close) {
      close.members.push(item);
      close.identical = false;
      exact.set(norm, close);
      return;
    }
    const g = { text: item.reply, normalized: norm, identical: true, members: [item], first: i };
    open.push(g);
    exact.set(norm, g);
  });
  const groups = open
    .sort((a, b) => b.members.length - a.members.length || a.first - b.first)
    .map((g, i): AnswerGroup<T> => ({ n: i + 1, text: g.text, normalized: g.normalized, kind: g.identical ? "identical" : "similar", members: g.members }));
  return { groups, noAnswer };
}
