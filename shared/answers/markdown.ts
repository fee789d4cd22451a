// A broadcast's answers as Markdown, grouped (shared/answers/group.ts): the export's
// `format=markdown` and the dashboard's "Copy all" produce the same text.
import type { GroupedAnswers } from "./group.ts";

export interface AnswerItem {
  handle: string;
  status: string;
  reply: string | null;
}

/** A fence longer than any run of backticks in the text, so a reply cannot close it. */
function fenced(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

const who = (items: readonly AnswerItem[]) => items.map((i) => `@${i.handle}`).join(", ");

export function answersMarkdown(
  broadcast: { id: string; message: string },
  grouped: GroupedAnswers<AnswerItem>,
  statusFilter: readonly string[] = [],
): string {
  const answered = grouped.groups.reduce((s, g) => s + g.members.length, 0);
  const out: string[] = [`# Answers to broadcast ${broadcast.id}`, "", "Message:", "", fenced(broadcast.message), ""];
  if (statusFilter.length) out.push(`Only recipients whose status is: ${statusFilter.join(", ")}.`, "");
  out.push(`${answered} ${answered === 1 ? "answer" : "answers"} in ${grouped.groups.length} ${grouped.groups.length === 1 ? "group" : "groups"}; ${grouped.noAnswer.length} without an answer.`, "");
  for (const g of grouped.groups) {
    const n = g.members.length;
    out.push(`## ${g.n}. ${n} ${n === 1 ? "answer" : "answers"}${g.kind === "similar" ? " (near-identical)" : ""}: ${who(g.members)}`, "", fenced(g.text), "");
    // near-identical answers are not the same text: each other wording is kept too
    for (const m of g.kind === "similar" ? g.members.slice(1) : []) {
      if (m.reply !== null && m.reply !== g.text) out.push(`@${m.handle} wrote:`, "", fenced(m.reply), "");
    }
  }
  if (grouped.noAnswer.length) {
    out.push("## No answer", "");
    for (const i of grouped.noAnswer) out.push(`- @${i.handle}: ${i.status.replace(/_/g, " ")}`);
    out.push("");
  }
  return out.join("\n");
}
