// GET /broadcasts/{id}/answers: a broadcast's recipients and their replies as one file, grouped
// by identical / near-identical answer (shared/answers/group.ts, the same grouping the dashboard
// shows), as CSV (formula-safe cells, server/audit/csv.ts), NDJSON or Markdown.
import { groupAnswers, type GroupedAnswers } from "../../shared/answers/group.ts";
import { answersMarkdown } from "../../shared/answers/markdown.ts";
import type { ANSWER_FORMATS, Broadcast, Recipient } from "../../shared/api/broadcasts.ts";
import { csvRow } from "../audit/csv.ts";

export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

const COLUMNS = ["group", "group_size", "group_kind", "handle", "name", "display_name", "status", "attempts", "latency_ms", "error_code", "reply"] as const;

const CONTENT_TYPE: Record<AnswerFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
  markdown: "text/markdown; charset=utf-8",
};
const EXTENSION: Record<AnswerFormat, string> = { csv: "csv", ndjson: "ndjson", markdown: "md" };

interface AnswerRow {
  group: number | null;
  groupSize: number | null;
  groupKind: "identical" | "similar" | null;
  r: Recipient;
}

/** The recipients (optionally only those with one of `statuses`) in group order, then those without a reply. */
export function answerRows(b: Broadcast, statuses: readonly string[] = []): { rows: AnswerRow[]; grouped: GroupedAnswers<Recipient> } {
  const picked = statuses.length ? b.recipients.filter((r) => statuses.includes(r.status)) : b.recipients;
  const grouped = groupAnswers(picked);
  const rows: AnswerRow[] = [];
  for (const g of grouped.groups) for (const r of g.members) rows.push({ group: g.n, groupSize: g.members.length, groupKind: g.kind, r });
  for (const r of grouped.noAnswer) rows.push({ group: null, groupSize: null, groupKind: null, r });
  return { rows, grouped };
}

export function answersFile(b: Broadcast, format: AnswerFormat, statuses: readonly string[] = []): { body: string; contentType: string; filename: string } {
  const { rows, grouped } = answerRows(b, statuses);
  let body: string;
  if (format === "markdown") body = answersMarkdown(b, grouped, statuses);
  else if (format === "csv") {
    body =
      csvRow(COLUMNS) +
      rows
        .map(({ group, groupSize, groupKind, r }) =>
          csvRow([group, groupSize, groupKind, r.handle, r.name, r.displayName, r.status, r.attempts, r.latencyMs, r.error?.code ?? null, r.reply]),
        )
        .join("");
  } else {
    body = rows
      .map(({ group, groupSize, groupKind, r }) =>
        `${JSON.stringify({
          broadcastId: b.id,
          group,
          groupSize,
          groupKind,
          handle: r.handle,
          name: r.name,
          displayName: r.displayName,
          status: r.status,
          attempts: r.attempts,
          latencyMs: r.latencyMs,
          error: r.error,
          reply: r.reply,
          replyFullBytes: r.replyFullBytes,
        })}\n`,
      )
      .join("");
  }
  // the id is a UUID, but keep the header safe whatever it holds
  const safeId = b.id.replace(/[^A-Za-z0-9._-]/g, "_");
  return { body, contentType: CONTENT_TYPE[format], filename: `team-mesh-answers-${safeId}.${EXTENSION[format]}` };
}
