// A broadcast's answers side by side: grouped by identical / near-identical reply (the shared
// grouping of shared/answers/group.ts, the same the export uses), with counts, a filter by
// recipient status, "Copy all" (the Markdown of the export) and the export links.
import { For, Show, createMemo, createSignal } from "solid-js";
import { groupAnswers } from "../../../shared/answers/group.ts";
import { answersMarkdown } from "../../../shared/answers/markdown.ts";
import type { Broadcast } from "../../../shared/api/broadcasts.ts";
import { api } from "../api/client.ts";
import { words } from "../lib/format.ts";
import { CopyButton } from "./CopyButton.tsx";
import { ReplyText } from "./ReplyText.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function AnswersCompare(props: { broadcast: Broadcast }) {
  const b = () => props.broadcast;
  /** Statuses shown; empty = all. */
  const [only, setOnly] = createSignal<string[]>([]);
  const statusCounts = createMemo(() => {
    const counts = new Map<string, number>();
    for (const r of b().recipients) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    return [...counts.entries()];
  });
  const picked = () => (only().length ? b().recipients.filter((r) => only().includes(r.status)) : b().recipients);
  const grouped = createMemo(() => groupAnswers(picked()));
  const markdown = () => answersMarkdown(b(), grouped(), only());
  const toggle = (status: string, on: boolean) => setOnly((s) => (on ? [...s, status] : s.filter((x) => x !== status)));

  return (
    <section class="panel answers" aria-labelledby="answers-title">
      <h2 id="answers-title">Answers compared</h2>
      <fieldset class="filter-row">
        <legend class="small muted">Show recipients whose status is</legend>
        <For each={statusCounts()}>
          {([status, count]) => (
            <label class="check">
              <input type="checkbox" checked={only().includes(status)} onChange={(e) => toggle(status, e.currentTarget.checked)} /> {words(status)} ({count})
            </label>
          )}
        </For>
        <Show when={only().length}>
          <button type="button" class="linkish small" onClick={() => setOnly([])}>
            Show all
          </button>
        </Show>
      </fieldset>
      <p role="status" data-testid="answers-summary">
        {plural(grouped().groups.reduce((s, g) => s + g.members.length, 0), "answer")} in {plural(grouped().groups.length, "group")}
        <Show when={grouped().noAnswer.length}>; {plural(grouped().noAnswer.length, "recipient")} without an answer</Show>.
      </p>
      <Show when={grouped().groups.length}>
        <ol class="answer-groups" aria-label="Answer groups, largest first">
          <For each={grouped().groups}>
            {(g) => (
              <li class="answer-group" data-group={g.n} data-count={g.members.length}>
                <p>
                  <span class="count">{plural(g.members.length, "answer")}</span>
                  <Show when={g.kind === "similar"}>
                    {" "}
                    <span class="badge idle" title="Not the same text, but the same words or a few letters apart">
                      near-identical
                    </span>
                  </Show>{" "}
                  <span class="muted">{g.members.map((m) => `@${m.handle}`).join(", ")}</span>
                </p>
                <ReplyText text={g.text} label={`Answer of group ${g.n}`} />
                <Show when={g.kind === "similar"}>
                  <details>
                    <summary>Each wording</summary>
                    <For each={g.members}>
                      {(m) => (
                        <>
                          <p class="small muted">@{m.handle}</p>
                          <ReplyText text={m.reply} label={`Answer of ${m.handle}`} />
                        </>
                      )}
                    </For>
                  </details>
                </Show>
              </li>
            )}
          </For>
        </ol>
      </Show>
      <Show when={grouped().noAnswer.length}>
        <p class="small" data-testid="no-answer">
          No answer:{" "}
          <For each={grouped().noAnswer}>
            {(r) => (
              <span data-handle={r.handle}>
                @{r.handle} <StatusBadge status={r.status} />{" "}
              </span>
            )}
          </For>
        </p>
      </Show>
      <div class="actions">
        <CopyButton text={markdown()} label="Copy all (Markdown)" />
        <span class="small muted">Export:</span>
        <For each={["csv", "ndjson", "markdown"] as const}>
          {(f) => (
            <a class="button secondary small" href={api.broadcastAnswersUrl(b().id, f, only())} download="">
              {f === "markdown" ? "Markdown" : f.toUpperCase()}
            </a>
          )}
        </For>
      </div>
    </section>
  );
}
