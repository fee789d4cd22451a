// Audit: filtered, full-text searchable trail with server cursor pagination ("Load more"),
// entry detail, export of the current filter, and hash-chain verification.
import { For, Show, createSignal, onMount } from "solid-js";
import type { AuditEntry, AuditVerifyProgress } from "../../../shared/api/audit.ts";
import { AUDIT_KINDS, AUDIT_OUTCOMES } from "../../../shared/api/enums.ts";
import { api, asApiError } from "../api/client.ts";
import { DataTable } from "../components/DataTable.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field } from "../components/Field.tsx";
import { ReplyText } from "../components/ReplyText.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { firstLine, fmtMs, fmtTime, words } from "../lib/format.ts";
import { MAX_ROWS, audit, emptyFilters, filtersToQuery, loadMoreAudit, searchAudit, verifyAudit, type AuditFilters } from "../stores/audit.ts";

function EntryDetail(props: { entry: AuditEntry; onClose: () => void }) {
  const [full, setFull] = createSignal<AuditEntry>(props.entry);
  const [error, setError] = createSignal<unknown>(null);
  onMount(async () => {
    try {
      setFull(await api.auditEntry(props.entry.id));
    } catch (e) {
      setError(asApiError(e));
    }
  });
  const e = full;
  return (
    <section class="panel entry-detail" aria-labelledby="entry-title" tabindex="-1" ref={(el) => queueMicrotask(() => el.focus())}>
      <div class="panel-head">
        <h2 id="entry-title">Audit entry #{e().id}</h2>
        <button type="button" class="secondary small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <ErrorNote error={error()} />
      <dl class="kv">
        <dt>At</dt>
        <dd>
          {fmtTime(e().at)}
          <Show when={e().completedAt}> → completed {fmtTime(e().completedAt)}</Show>
        </dd>
        <dt>Actor</dt>
        <dd>{e().actor}</dd>
        <dt>Kind</dt>
        <dd>{words(e().kind)}</dd>
        <dt>Outcome</dt>
        <dd>
          <StatusBadge status={e().outcome} />
          <Show when={e().errorCode}>
            {" "}
            <code class="code">{e().errorCode}</code> {e().errorMessage}
          </Show>
        </dd>
        <dt>Teammate</dt>
        <dd>{e().teammate ?? "—"}</dd>
        <dt>Gateway</dt>
        <dd>{e().gatewayUrl ?? "—"}</dd>
        <dt>Session</dt>
        <dd>{e().session ?? "—"}</dd>
        <dt>Latency</dt>
        <dd>{fmtMs(e().latencyMs)}</dd>
        <dt>Run id</dt>
        <dd class="mono">{e().runId ?? "—"}</dd>
        <dt>Message id</dt>
        <dd class="mono">{e().messageId ?? "—"}</dd>
        <dt>Broadcast id</dt>
        <dd class="mono">
          <Show when={e().broadcastId} fallback="—">
            <a href={`#/broadcast/${encodeURIComponent(e().broadcastId ?? "")}`}>{e().broadcastId}</a>
          </Show>
        </dd>
        <dt>Message SHA-256</dt>
        <dd class="mono break">{e().messageSha256 ?? "—"}</dd>
        <dt>Entry hash</dt>
        <dd class="mono break">{e().hash}</dd>
      </dl>
      <Show when={e().message != null}>
        <h3>Message ({e().messageBytes ?? "?"} bytes)</h3>
        <ReplyText text={e().message} label="Message" />
      </Show>
      <Show when={e().reply != null}>
        <h3>Reply</h3>
        <ReplyText text={e().reply} label="Reply" />
      </Show>
      <Show when={e().details}>
        <h3>Details</h3>
        <ReplyText text={JSON.stringify(e().details, null, 2)} label="Details" />
      </Show>
    </section>
  );
}

export default function AuditPage() {
  const [f, setF] = createSignal<AuditFilters>(emptyFilters());
  const [selected, setSelected] = createSignal<AuditEntry | null>(null);
  const set = (k: keyof AuditFilters, v: string) => setF((o) => ({ ...o, [k]: v }));
  const apply = (e?: SubmitEvent) => {
    e?.preventDefault();
    setSelected(null);
    void searchAudit(filtersToQuery(f()));
  };
  onMount(() => apply());

  const text = (k: keyof AuditFilters, label: string, type = "text") => (
    <Field label={label} id={`audit-${k}`}>
      <input id={`audit-${k}`} type={type} value={f()[k]} spellcheck={false} onInput={(e) => set(k, e.currentTarget.value)} />
    </Field>
  );
  const select = (k: "kind" | "outcome", label: string, options: readonly string[]) => (
    <Field label={label} id={`audit-${k}`}>
      <select id={`audit-${k}`} value={f()[k]} onChange={(e) => set(k, e.currentTarget.value)}>
        <option value="">any</option>
        <For each={options}>{(o) => <option value={o}>{words(o)}</option>}</For>
      </select>
    </Field>
  );

  return (
    <div class="page">
      <div class="page-head">
        <h1>Audit</h1>
        <div class="actions">
          <a class="button secondary small" href={api.auditExportUrl(audit.query(), "ndjson")} download="">
            Export NDJSON
          </a>
          <a class="button secondary small" href={api.auditExportUrl(audit.query(), "csv")} download="">
            Export CSV
          </a>
          <button type="button" class="secondary small" disabled={audit.verifying()} onClick={() => void verifyAudit()}>
            {audit.verifying() ? verifyingLabel(audit.verifyProgress()) : "Verify chain"}
          </button>
        </div>
      </div>
      <Show when={audit.verify()}>
        {(v) => (
          <p class={`banner ${v().ok ? "ok" : "bad"}`} role="status" data-testid="verify">
            {v().ok
              ? `Chain intact: ${v().checked.toLocaleString("en-US")} entries checked.`
              : `Chain BROKEN${v().firstBrokenId === null ? "" : ` at entry #${v().firstBrokenId}`}: ${v().reason ?? "hash mismatch"} (${v().checked.toLocaleString("en-US")} checked).`}
          </p>
        )}
      </Show>
      <ErrorNote error={audit.verifyError()} />
      <form class="panel filters" onSubmit={apply} aria-label="Filter the audit trail">
        <div class="grid-form">
          {text("q", "Search message and reply", "search")}
          {text("teammate", "Teammate")}
          {text("actor", "Actor")}
          {select("kind", "Kind", AUDIT_KINDS)}
          {select("outcome", "Outcome", AUDIT_OUTCOMES)}
          {text("from", "From", "datetime-local")}
          {text("to", "To", "datetime-local")}
        </div>
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setF(emptyFilters());
              apply();
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <Show when={audit.newCount() > 0}>
        <p class="banner" role="status">
          {audit.newCount()} new {audit.newCount() === 1 ? "entry" : "entries"} since this view was loaded.{" "}
          <button type="button" class="linkish" onClick={() => apply()}>
            Refresh
          </button>
        </p>
      </Show>
      <ErrorNote error={audit.error()}>
        <button type="button" class="secondary small" onClick={() => apply()}>
          Retry
        </button>
      </ErrorNote>
      <Show when={selected()}>{(s) => <EntryDetail entry={s()} onClose={() => setSelected(null)} />}</Show>
      <DataTable class="audit-table" caption="Audit entries, newest first" columns={["#", "At", "Actor", "Kind", "Teammate", "Outcome", "Message", "Latency"]}>
        <For each={audit.items()}>
          {(e) => (
            <tr data-id={e.id} classList={{ selected: selected()?.id === e.id }}>
              <td data-label="#">
                <button type="button" class="linkish" onClick={() => setSelected(e)} aria-label={`Open entry ${e.id}`}>
                  {e.id}
                </button>
              </td>
              <td data-label="At" class="at-cell">{fmtTime(e.at)}</td>
              <td data-label="Actor">{e.actor}</td>
              <td data-label="Kind">{words(e.kind)}</td>
              <td data-label="Teammate">{e.teammate ?? "—"}</td>
              <td data-label="Outcome">
                <StatusBadge status={e.outcome} />
              </td>
              <td data-label="Message" class="msg-cell">
                {firstLine(e.message, 90)}
              </td>
              <td data-label="Latency">{fmtMs(e.latencyMs)}</td>
            </tr>
          )}
        </For>
      </DataTable>
      <Show when={!audit.loading() && audit.items().length === 0 && !audit.error()}>
        <p class="muted">No entries match.</p>
      </Show>
      <div class="actions pager">
        <span class="muted" role="status">
          {audit.loading() ? "Loading…" : `${audit.items().length.toLocaleString("en-US")} shown`}
        </span>
        <Show when={audit.nextCursor() && audit.items().length < MAX_ROWS}>
          <button type="button" class="secondary" disabled={audit.loading()} onClick={() => void loadMoreAudit()}>
            Load more
          </button>
        </Show>
        <Show when={audit.nextCursor() && audit.items().length >= MAX_ROWS}>
          <span class="muted">Showing the first {MAX_ROWS.toLocaleString("en-US")}; narrow the filters or export.</span>
        </Show>
      </div>
    </div>
  );
}

function verifyingLabel(p: AuditVerifyProgress | null): string {
  if (!p || p.total === 0) return "Verifying…";
  return `Verifying… ${Math.floor((100 * p.checked) / p.total)}%`;
}
