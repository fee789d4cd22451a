// Audit store: one filtered, cursor-paginated view of the trail. Pages are appended with
// "load more"; at most MAX_ROWS rows are kept in memory (older pages are dropped from the top
// of the list only when the user starts a new query).
import { createSignal } from "solid-js";
import type { AuditEntry, AuditQuery, AuditVerify, AuditVerifyProgress } from "../../../shared/api/audit.ts";
import { api, asApiError, type ApiError } from "../api/client.ts";
import { subscribe } from "../api/events.ts";

export const PAGE_SIZE = 100;
export const MAX_ROWS = 5000;

export interface AuditFilters {
  teammate: string;
  actor: string;
  kind: string;
  outcome: string;
  from: string; // datetime-local value
  to: string;
  q: string;
}
export const emptyFilters = (): AuditFilters => ({ teammate: "", actor: "", kind: "", outcome: "", from: "", to: "", q: "" });

const [items, setItems] = createSignal<AuditEntry[]>([]);
const [nextCursor, setNextCursor] = createSignal<string | null>(null);
const [loading, setLoading] = createSignal(false);
const [error, setError] = createSignal<ApiError | null>(null);
const [query, setQuery] = createSignal<AuditQuery>({ limit: PAGE_SIZE });
const [newCount, setNewCount] = createSignal(0);
const [verify, setVerify] = createSignal<AuditVerify | null>(null);
const [verifyError, setVerifyError] = createSignal<ApiError | null>(null);
const [verifying, setVerifying] = createSignal(false);
/** Progress of a running verify (anyone's: the server runs one at a time), from the event stream. */
const [verifyProgress, setVerifyProgress] = createSignal<AuditVerifyProgress | null>(null);

export const audit = { items, nextCursor, loading, error, query, newCount, verify, verifyError, verifying, verifyProgress };

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function filtersToQuery(f: AuditFilters): AuditQuery {
  return {
    teammate: f.teammate.trim() || undefined,
    actor: f.actor.trim() || undefined,
    kind: f.kind ? [f.kind as NonNullable<AuditEntry["kind"]>] : undefined,
    outcome: f.outcome ? [f.outcome as NonNullable<AuditEntry["outcome"]>] : undefined,
    from: toIso(f.from),
    to: toIso(f.to),
    q: f.q.trim() || undefined,
    limit: PAGE_SIZE,
  };
}

let ctrl: AbortController | null = null;

async function fetchPage(q: AuditQuery, append: boolean): Promise<void> {
  ctrl?.abort();
  const c = new AbortController();
  ctrl = c;
  setLoading(true);
  setError(null);
  try {
    const page = await api.audit(q, c.signal);
    if (c.signal.aborted) return;
    setItems((prev) => (append ? [...prev, ...page.items].slice(0, MAX_ROWS) : page.items));
    setNextCursor(page.nextCursor);
  } catch (e) {
    if (c.signal.aborted) return;
    setError(asApiError(e));
  } finally {
    if (ctrl === c) {
      setLoading(false);
      ctrl = null;
    }
  }
}

export function searchAudit(q: AuditQuery): Promise<void> {
  setQuery(q);
  setNewCount(0);
  return fetchPage(q, false);
}

export function loadMoreAudit(): Promise<void> {
  const cursor = nextCursor();
  if (!cursor || items().length >= MAX_ROWS) return Promise.resolve();
  return fetchPage({ ...query(), cursor }, true);
}

export async function verifyAudit(): Promise<void> {
  setVerifying(true);
  setVerifyError(null);
  try {
    setVerify(await api.auditVerify());
  } catch (e) {
    setVerifyError(asApiError(e));
  } finally {
    setVerifying(false);
  }
}

subscribe((e) => {
  if (e.type === "audit.appended") setNewCount((n) => n + 1);
  if (e.type === "audit.verify") setVerifyProgress(e.progress.running ? e.progress : null);
});
