// Team: registry with live presence, checks, add/edit/delete, credentials, pairing, import, sync, "me".
import { For, Show, createSignal, lazy, onCleanup, onMount } from "solid-js";
import type { ImportReport, SyncReport, Teammate } from "../../../shared/api/teammates.ts";
import { ApiError, api, asApiError } from "../api/client.ts";
import { DataTable } from "../components/DataTable.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field, describedBy } from "../components/Field.tsx";
import { PairingCommand } from "../components/PairingCommand.tsx";
import { SharedGatewayNote } from "../components/SharedGatewayNote.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { AuthFailedHelp } from "../components/AuthFailedHelp.tsx";
import { StatusFreshness } from "../components/StatusFreshness.tsx";
import { StatusTimeline } from "../components/StatusTimeline.tsx";
import { TESTED_GATEWAY_VERSIONS } from "../../../shared/gateway-versions.ts";
import { createAction } from "../lib/action.ts";
import { fmtAgo, fmtDate, fmtMs, fmtTime } from "../lib/format.ts";
import { session } from "../stores/session.ts";
import { allTags, loadTeammates, removeTeammate, teammates, upsertTeammate } from "../stores/teammates.ts";
import { TeammateForm } from "./TeammateForm.tsx";

// loaded when a teammate's details open (keeps it out of the start-up bundle)
const AgentsPanel = lazy(() => import("../components/AgentsPanel.tsx").then((m) => ({ default: m.AgentsPanel })));

/** States that come from talking to the gateway (the others are known without a probe). */
const PROBED = new Set(["online", "unreachable", "auth_failed", "pairing_required", "error"]);

function TokenPanel(props: { t: Teammate }) {
  const [token, setToken] = createSignal("");
  const { busy, error, run } = createAction();
  const [done, setDone] = createSignal("");
  const id = () => `token-${props.t.handle}`;
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!token()) return;
    await run(async () => {
      setDone("");
      upsertTeammate(await api.setToken(props.t.handle, token()));
      setToken("");
      setDone("Token saved; the gateway was checked with it.");
    });
  };
  const remove = async () => {
    await run(async () => {
      setDone("");
      await api.deleteToken(props.t.handle);
      upsertTeammate(await api.teammate(props.t.handle));
      setDone("Token removed.");
    });
  };
  return (
    <form class="subpanel" onSubmit={save} aria-label={`Gateway token for ${props.t.handle}`}>
      <h4>Gateway token</h4>
      <p class="muted">
        {props.t.credential.set
          ? `Set on ${fmtDate(props.t.credential.setAt)}${props.t.credential.lastUsedAt ? `, last used ${fmtAgo(props.t.credential.lastUsedAt)}` : ""}. The token is never shown again.`
          : "No token set."}
      </p>
      <Field label={props.t.credential.set ? "Replace token" : "Set token"} id={id()} hint="write-only">
        <input
          id={id()}
          type="password"
          autocomplete="new-password"
          value={token()}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={describedBy(id(), null, "write-only")}
        />
      </Field>
      <div class="actions">
        <button type="submit" disabled={busy() || !token()}>
          {props.t.credential.set ? "Replace token" : "Set token"}
        </button>
        <Show when={props.t.credential.set}>
          <button type="button" class="danger" disabled={busy()} onClick={remove}>
            Remove token
          </button>
        </Show>
      </div>
      <Show when={done()}>
        <p class="ok-note" role="status">
          {done()}
        </p>
      </Show>
      <ErrorNote error={error()} />
    </form>
  );
}

function PairingPanel(props: { t: Teammate; canWrite: boolean }) {
  const { busy, error, run } = createAction();
  const recheck = async () => {
    await run(async () => {
      upsertTeammate(await api.pair(props.t.handle));
    });
  };
  return (
    <div class="subpanel pairing">
      <h4>Pairing required</h4>
      <p>
        {props.t.name}'s gateway wants to approve this server as a device. Ask them to run this command on their
        machine, then re-check:
      </p>
      <PairingCommand pairing={props.t.status.pairing} />
      <Show when={props.canWrite}>
        <button type="button" disabled={busy()} onClick={recheck}>
          {busy() ? "Checking…" : "Re-check pairing"}
        </button>
      </Show>
      <ErrorNote error={error()} />
    </div>
  );
}

function Details(props: { t: Teammate; canWrite: boolean; now: number; onClose: () => void; adoptDefaultAgent?: boolean }) {
  const [editing, setEditing] = createSignal(false);
  const [confirmDelete, setConfirmDelete] = createSignal(false);
  const { busy, error, run } = createAction();
  const del = async () => {
    await run(async () => {
      await api.deleteTeammate(props.t.handle);
      removeTeammate(props.t.handle);
      props.onClose();
    });
  };
  const markMe = async (handle: string | null) => {
    await run(async () => {
      await api.setWhoami(handle);
      await loadTeammates();
    });
  };
  return (
    <section
      class="panel details"
      aria-label={`Teammate ${props.t.handle}`}
      tabindex="-1"
      ref={(el) => queueMicrotask(() => el.focus({ preventScroll: false }))}
    >
      <div class="panel-head">
        <h3>
          {props.t.displayName || props.t.name} <span class="muted">@{props.t.handle}</span>
        </h3>
        <button type="button" class="secondary small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <Show
        when={!editing()}
        fallback={
          <TeammateForm
            teammate={props.t}
            onSaved={(t) => {
              upsertTeammate(t);
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        }
      >
        <dl class="kv">
          <dt>Gateway</dt>
          <dd>
            {props.t.gatewayUrl ?? "— (no address)"}
            <SharedGatewayNote handles={props.t.sharedGatewayWith} />
          </dd>
          <dt>Agent</dt>
          <dd>
            {props.t.agentEmoji ? `${props.t.agentEmoji} ` : ""}
            <code class="code">{props.t.agentId}</code>
          </dd>
          <dt>Hostname</dt>
          <dd>{props.t.hostname ?? "—"}</dd>
          <dt>TLS pin</dt>
          <dd class="mono">{props.t.tlsFingerprint ?? "—"}</dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={props.t.status.state} /> <StatusFreshness status={props.t.status} now={props.now} />
          </dd>
          <dt>Gateway version</dt>
          <dd class="gateway-version">
            {props.t.status.version ?? "—"}
            {props.t.status.protocol !== null ? `, protocol ${props.t.status.protocol}` : ""}
            <Show when={props.t.status.versionTested === false}>
              <small class="note-warn block" role="note">
                Untested version: Team Mesh is tested with OpenClaw {TESTED_GATEWAY_VERSIONS.min} … {TESTED_GATEWAY_VERSIONS.max}.
              </small>
            </Show>
          </dd>
          <dt>Granted scopes</dt>
          <dd class="mono">{props.t.status.scopes?.length ? props.t.status.scopes.join(", ") : "—"}</dd>
          <Show when={props.t.status.error}>
            {(e) => (
              <>
                <dt>Last error</dt>
                <dd>
                  {e().message} <code class="code">{e().code}</code>
                </dd>
              </>
            )}
          </Show>
          <dt>Device</dt>
          <dd>{props.t.device.paired ? `paired ${fmtDate(props.t.device.pairedAt)}` : "not paired"}</dd>
          <Show when={props.t.note}>
            <dt>Note</dt>
            <dd class="pre">{props.t.note}</dd>
          </Show>
        </dl>
        <Show when={props.canWrite}>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              Edit
            </button>
            <Show
              when={props.t.isMe}
              fallback={
                <button type="button" class="secondary" disabled={busy()} onClick={() => markMe(props.t.handle)}>
                  This is me
                </button>
              }
            >
              <button type="button" class="secondary" disabled={busy()} onClick={() => markMe(null)}>
                Not me
              </button>
            </Show>
            <Show
              when={confirmDelete()}
              fallback={
                <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
              }
            >
              <span class="confirm-inline" role="group" aria-label="Confirm delete">
                Delete {props.t.handle} and its token?
                <button type="button" class="danger" disabled={busy()} onClick={del}>
                  Delete
                </button>
                <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
                  Keep
                </button>
              </span>
            </Show>
          </div>
        </Show>
      </Show>
      <ErrorNote error={error()} />
      <StatusTimeline t={props.t} />
      <AuthFailedHelp status={props.t.status} />
      <Show when={props.t.status.state === "pairing_required"}>
        <PairingPanel t={props.t} canWrite={props.canWrite} />
      </Show>
      <Show when={props.canWrite}>
        <TokenPanel t={props.t} />
      </Show>
      <Show when={props.canWrite && props.t.gatewayUrl && props.t.credential.set}>
        {/* keyed by handle (a child taking the value, else Show does not re-run it): opening another
            teammate's details asks that gateway instead of keeping the last one's list */}
        <Show when={props.t.handle} keyed>
          {(_handle) => <AgentsPanel t={props.t} adoptDefaultAgent={props.adoptDefaultAgent} />}
        </Show>
      </Show>
    </section>
  );
}

async function readJsonFile(input: HTMLInputElement | undefined): Promise<unknown> {
  const f = input?.files?.[0];
  if (!f) return undefined;
  const text = await f.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("IMPORT_INVALID", `${f.name} is not valid JSON.`, 0);
  }
}

function ReportView(props: { report: ImportReport | SyncReport }) {
  const r = () => props.report;
  const list = (label: string, items: string[]) => (
    <li>
      <strong>{label}:</strong> {items.length ? items.join(", ") : "none"}
    </li>
  );
  return (
    <div class="report" role="status">
      <ul>
        {list("Created", r().created)}
        {list("Updated", r().updated)}
        {list("Unchanged", r().unchanged)}
        {list("Tokens set", r().tokensSet)}
        <Show when={"missing" in r() && (r() as SyncReport).missing?.length}>
          {list("In the registry but not in the source (kept)", (r() as SyncReport).missing ?? [])}
        </Show>
        <li>
          <strong>Skipped:</strong>{" "}
          {r().skipped.length ? r().skipped.map((s) => `${s.handle ?? "(no handle)"} — ${s.reason}`).join("; ") : "none"}
        </li>
      </ul>
    </div>
  );
}

function ImportPanel(props: { onClose: () => void }) {
  let regInput: HTMLInputElement | undefined;
  let tokInput: HTMLInputElement | undefined;
  const { busy, error, run } = createAction();
  const [report, setReport] = createSignal<ImportReport | null>(null);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    await run(async () => {
      setReport(null);
      const registry = await readJsonFile(regInput);
      if (!registry) throw new ApiError("VALIDATION_FAILED", "Choose the registry.json file.", 0);
      const tokens = await readJsonFile(tokInput);
      const body = { registry, ...(tokens ? { tokens } : {}) } as Parameters<typeof api.importLegacy>[0];
      setReport(await api.importLegacy(body));
      await loadTeammates();
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="import-title">
      <div class="panel-head">
        <h3 id="import-title">Import from the old skill</h3>
        <button type="button" class="secondary small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <p class="muted">Upload the agent-team-mesh skill's registry.json and, optionally, tokens.json.</p>
      <div class="grid-form">
        <Field label="registry.json" id="import-registry">
          <input id="import-registry" type="file" accept=".json,application/json" ref={(el) => (regInput = el)} />
        </Field>
        <Field label="tokens.json (optional)" id="import-tokens">
          <input id="import-tokens" type="file" accept=".json,application/json" ref={(el) => (tokInput = el)} />
        </Field>
      </div>
      <div class="actions">
        <button type="submit" disabled={busy()}>
          {busy() ? "Importing…" : "Import"}
        </button>
      </div>
      <ErrorNote error={error()} />
      <Show when={report()}>{(r) => <ReportView report={r()} />}</Show>
    </form>
  );
}

export function TeamPage() {
  const [selected, setSelected] = createSignal<string | null>(null);
  // the entry just added with "Add and find agents": its agents panel may retarget it to the gateway's default agent
  const [foundFrom, setFoundFrom] = createSignal<string | null>(null);
  const [tagFilter, setTagFilter] = createSignal("");
  const shown = () => (tagFilter() ? teammates.items.filter((t) => t.tags.includes(tagFilter())) : teammates.items);
  const [panel, setPanel] = createSignal<"none" | "add" | "import">("none");
  const [rowBusy, setRowBusy] = createSignal<Record<string, boolean>>({});
  const [rowError, setRowError] = createSignal<Record<string, unknown>>({});
  const page = createAction();
  const [syncReport, setSyncReport] = createSignal<SyncReport | null>(null);
  const [now, setNow] = createSignal(Date.now());
  const canWrite = () => session.can("teammates:write");
  const canPing = () => session.can("ping");

  onMount(() => void loadTeammates());
  // 5 s: a status turns "stale" on screen within 5 s of its staleAt
  const tick = setInterval(() => setNow(Date.now()), 5_000);
  onCleanup(() => clearInterval(tick));

  const checkOne = async (handle: string) => {
    setRowBusy((b) => ({ ...b, [handle]: true }));
    setRowError((e) => ({ ...e, [handle]: null }));
    try {
      const r = await api.ping(handle);
      for (const t of r.teammates) upsertTeammate(t);
    } catch (err) {
      setRowError((e) => ({ ...e, [handle]: asApiError(err) }));
    } finally {
      setRowBusy((b) => ({ ...b, [handle]: false }));
    }
  };
  const checkAll = async () => {
    await page.run(async () => {
      const r = await api.ping();
      for (const t of r.teammates) upsertTeammate(t);
    });
  };
  const sync = async () => {
    await page.run(async () => {
      setSyncReport(null);
      setSyncReport(await api.sync());
      await loadTeammates();
    });
  };
  const sel = () => teammates.items.find((t) => t.handle === selected());

  return (
    <div class="page">
      <div class="page-head">
        <h1>Team</h1>
        <div class="actions">
          <Show when={canPing()}>
            <button type="button" disabled={page.busy() || teammates.items.length === 0} onClick={checkAll}>
              {page.busy() ? "Checking…" : "Check all"}
            </button>
          </Show>
          <Show when={canWrite()}>
            <button type="button" class="secondary" onClick={() => setPanel(panel() === "add" ? "none" : "add")} aria-expanded={panel() === "add"}>
              Add teammate
            </button>
            <button type="button" class="secondary" onClick={() => setPanel(panel() === "import" ? "none" : "import")} aria-expanded={panel() === "import"}>
              Import…
            </button>
            <Show when={session.config().syncConfigured}>
              <button type="button" class="secondary" disabled={page.busy()} onClick={sync}>
                Sync registry
              </button>
            </Show>
          </Show>
        </div>
      </div>
      <ErrorNote error={page.error()} />
      <Show when={syncReport()}>
        {(r) => (
          <div class="panel">
            <h3>
              Synced from {r().source} at {fmtTime(r().at)}
            </h3>
            <ReportView report={r()} />
          </div>
        )}
      </Show>
      <Show when={panel() === "add"}>
        <section class="panel" aria-labelledby="add-title">
          <h3 id="add-title">Add teammate</h3>
          <TeammateForm
            onSaved={(t, o) => {
              upsertTeammate(t);
              setPanel("none");
              setFoundFrom(o?.findAgents ? t.handle : null);
              setSelected(t.handle);
            }}
            onCancel={() => setPanel("none")}
          />
        </section>
      </Show>
      <Show when={panel() === "import"}>
        <ImportPanel onClose={() => setPanel("none")} />
      </Show>
      <ErrorNote error={teammates.error()}>
        <button type="button" class="secondary small" onClick={() => void loadTeammates()}>
          Retry
        </button>
      </ErrorNote>
      <Show when={teammates.loading() && !teammates.loaded()}>
        <p class="muted" role="status">
          Loading teammates…
        </p>
      </Show>
      <Show when={teammates.loaded() && teammates.items.length === 0}>
        <p class="panel muted">No teammates yet.{canWrite() ? " Add one or import the old registry." : ""}</p>
      </Show>
      <Show when={allTags().length > 0}>
        <Field label="Group" id="team-tag-filter">
          <select id="team-tag-filter" value={tagFilter()} onChange={(e) => setTagFilter(e.currentTarget.value)}>
            <option value="">Everyone ({teammates.items.length})</option>
            <For each={allTags()}>{(tag) => <option value={tag}>@{tag} ({teammates.items.filter((t) => t.tags.includes(tag)).length})</option>}</For>
          </select>
        </Field>
      </Show>
      <Show when={teammates.items.length > 0}>
        <DataTable class="team-table" caption="Teammates and their live status" columns={["Teammate", "Status", "Latency", "Version", "Last seen", "Token"]} actions>
          <For each={shown()}>
            {(t) => (
              <tr data-handle={t.handle} classList={{ selected: selected() === t.handle }}>
                <td data-label="Teammate">
                  <strong>{t.displayName || t.name}</strong> <span class="muted">@{t.handle}</span>
                  <span class="agent-tag muted" title={`agent ${t.agentId} on this gateway`}>
                    {" "}
                    {t.agentEmoji ? `${t.agentEmoji} ` : ""}
                    {t.agentId}
                  </span>
                  <Show when={t.isMe}>
                    <span class="tag">me</span>
                  </Show>
                  <Show when={t.tags.length}>
                    <span class="block" data-testid="tags">
                      <For each={t.tags}>{(tag) => <span class="tag tag-group">@{tag}</span>}</For>
                    </span>
                  </Show>
                  <SharedGatewayNote handles={t.sharedGatewayWith} />
                </td>
                <td data-label="Status">
                  <StatusBadge status={t.status.state} />
                  <Show when={t.status.error && t.status.state !== "online"}>
                    <small class="muted block" title={t.status.error?.message}>
                      {t.status.error?.code}
                    </small>
                  </Show>
                  <StatusFreshness status={t.status} now={now()} />
                </td>
                <td data-label="Latency">{PROBED.has(t.status.state) ? fmtMs(t.status.latencyMs) : "—"}</td>
                <td data-label="Version">
                  {t.status.version ?? "—"}
                  <Show when={t.status.versionTested === false}>
                    <small class="note-warn block">untested</small>
                  </Show>
                </td>
                <td data-label="Last seen">
                  <span title={fmtTime(t.status.lastSeenAt)}>{fmtAgo(t.status.lastSeenAt, now())}</span>
                </td>
                <td data-label="Token">{t.credential.set ? `set ${fmtDate(t.credential.setAt)}` : "not set"}</td>
                <td class="row-actions">
                  <Show when={canPing()}>
                    <button
                      type="button"
                      class="secondary small"
                      disabled={!!rowBusy()[t.handle]}
                      onClick={() => checkOne(t.handle)}
                      aria-label={`Check ${t.handle} now`}
                    >
                      {rowBusy()[t.handle] ? "Checking…" : "Check now"}
                    </button>
                  </Show>
                  <button
                    type="button"
                    class="secondary small"
                    aria-expanded={selected() === t.handle}
                    aria-label={`Details for ${t.handle}`}
                    onClick={() => setSelected(selected() === t.handle ? null : t.handle)}
                  >
                    {selected() === t.handle ? "Hide" : "Details"}
                  </button>{" "}
                  <Show when={session.can("send") || session.can("audit:read")}>
                    <a class="small" href={`#/team/${encodeURIComponent(t.handle)}/conversation`} aria-label={`Conversation with ${t.handle}`}>
                      Conversation
                    </a>
                  </Show>
                  <ErrorNote error={rowError()[t.handle]} />
                </td>
              </tr>
            )}
          </For>
        </DataTable>
      </Show>
      <Show when={sel()}>{(t) => <Details t={t()} canWrite={canWrite()} now={now()} onClose={() => setSelected(null)} adoptDefaultAgent={foundFrom() === t().handle} />}</Show>
    </div>
  );
}
