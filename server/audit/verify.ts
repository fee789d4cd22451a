// Walking the chain without stopping the server: the walk reads one snapshot of the trail on its
// own read-only connection (WAL keeps it consistent while the server goes on writing), checks
// entries in time slices and yields to the event loop between them, and reports progress.
// One walk runs at a time: callers without an anchor share the running one.
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { AuditAnchor, AuditVerify, AuditVerifyProgress } from "../../shared/api/audit.ts";
import { asc, eq, gt, max, sql } from "../db/drizzle.ts";
import { auditEntries, settings } from "../db/schema.ts";
import type { AnchorSigner } from "./anchor.ts";
import { GENESIS_HASH, completionHash, entryHash, type AuditKey } from "./chain.ts";
import { dataPresent, endMismatch, parseHead } from "./head.ts";
import { auditRowColumns, chained, completionOf, rowOf } from "./rows.ts";
import type { Snapshot } from "./snapshot.ts";

/** Rows fetched per query; the walk also yields whenever a slice has run this long. */
const CHUNK = 500;
const SLICE_MS = 8;

export interface WalkSource {
  /** A connection that sees one snapshot of the trail until `end()` (see snapshot.ts). */
  open(): Snapshot;
  key: AuditKey;
  headSetting: string;
}

type Progress = (checked: number, total: number) => void;

async function walk(src: WalkSource, signer: AnchorSigner, anchor: AuditAnchor | undefined, onProgress: Progress): Promise<AuditVerify> {
  const { db, end } = src.open();
  try {
    const headValue = db.select({ value: settings.value }).from(settings).where(eq(settings.key, src.headSetting)).get()?.value;
    const total = db.select({ n: max(auditEntries.id) }).from(auditEntries).get()?.n ?? 0;
    const chunk = db // read with .values() and rowOf (see rows.ts)
      .select(auditRowColumns)
      .from(auditEntries)
      .where(gt(auditEntries.id, sql.placeholder("after")))
      .orderBy(asc(auditEntries.id))
      .limit(CHUNK)
      .prepare();
    const key = src.key;

    let anchorResult: AuditVerify["anchor"];
    const anchorError = anchor ? signer.check(anchor) : null;
    if (anchor && anchorError) anchorResult = { ok: false, count: anchor.count, reason: anchorError };
    else if (anchor && anchor.count === 0) {
      anchorResult = anchor.hash === GENESIS_HASH ? { ok: true, count: 0, reason: null } : { ok: false, count: 0, reason: "The anchor of an empty trail must carry the genesis hash" };
    }

    let expectedPrev = GENESIS_HASH;
    let expectedId = 1;
    let checked = 0;
    let pending = 0;
    let last: { id: number; hash: string } = { id: 0, hash: GENESIS_HASH };
    const result = (ok: boolean, firstBrokenId: number | null, reason: string | null): AuditVerify => {
      if (anchor && !anchorResult) {
        anchorResult = ok
          ? { ok: false, count: anchor.count, reason: `The trail holds ${last.id} entries but the anchor of ${anchor.at} recorded ${anchor.count}: entries were removed` }
          : { ok: false, count: anchor.count, reason: `Not reached: the chain breaks at entry ${firstBrokenId} before the anchored entry ${anchor.count}` };
      }
      const anchorOk = anchorResult?.ok ?? true;
      return {
        ok: ok && anchorOk,
        checked,
        total,
        firstBrokenId: ok && !anchorOk ? (anchorResult?.count ?? null) : firstBrokenId,
        reason: ok && !anchorOk ? (anchorResult?.reason ?? null) : reason,
        ...(anchorResult ? { anchor: anchorResult } : {}),
      };
    };

    let after = 0;
    let slice = performance.now();
    for (;;) {
      const rows = chunk.values({ after }).map(rowOf);
      for (const r of rows) {
        if (r.prevHash !== expectedPrev) {
          return result(false, r.id, `Entry ${r.id} does not follow the entry before it: an entry was removed, inserted or re-hashed before it`);
        }
        if (r.id !== expectedId) {
          return result(false, r.id, `Entry ${r.id} follows entry ${expectedId - 1}: ${r.id - expectedId} entr${r.id - expectedId === 1 ? "y is" : "ies are"} missing`);
        }
        const isPending = r.outcome === "pending";
        // pending entries were hashed as pending; a final entry either was appended final or completed later
        const hashOk = entryHash(key, r.prevHash, chained(r, true)) === r.hash || (!isPending && entryHash(key, r.prevHash, chained(r, false)) === r.hash);
        if (!hashOk) return result(false, r.id, `Entry ${r.id} was altered (its recorded fields no longer match its hash)`);
        if (isPending) {
          if (r.completionHash !== null || r.runId !== null || r.reply !== null || r.completedAt !== null || r.errorCode !== null) {
            return result(false, r.id, `Entry ${r.id} is pending but carries completion fields`);
          }
          pending++;
        } else if (r.completionHash === null || completionHash(key, r.hash, completionOf(r)) !== r.completionHash) {
          return result(false, r.id, `Entry ${r.id} was altered after completion (outcome, reply or error no longer match)`);
        }
        if (anchor && !anchorResult && r.id === anchor.count) {
          anchorResult =
            r.hash === anchor.hash
              ? { ok: true, count: anchor.count, reason: null }
              : { ok: false, count: anchor.count, reason: `Entry ${r.id} is not the entry anchored on ${anchor.at}: the trail was rewritten from there back` };
        }
        expectedPrev = r.hash;
        expectedId = r.id + 1;
        checked++;
        last = { id: r.id, hash: r.hash };
      }
      if (rows.length < CHUNK) break;
      after = last.id;
      if (performance.now() - slice >= SLICE_MS) {
        onProgress(checked, total);
        await yieldToLoop();
        slice = performance.now();
      }
    }
    onProgress(checked, total);

    const read = parseHead(key, headValue);
    switch (read.state) {
      case "missing": {
        // only a trail never written to has no head (every start writes one)
        if (last.id > 0) return result(false, last.id + 1, `The trail's head record is missing (the trail holds ${last.id} entries): it was removed`);
        if (dataPresent(db)) return result(false, 1, "The trail is empty and has no head record while the database holds data: the trail was emptied");
        break;
      }
      case "forged":
        return result(false, last.id + 1, "The trail's head record was altered (its MAC does not match)");
      case "legacy":
        // every start upgrades the head to the MAC'd format: an old-format head now was written without the key
        return result(false, last.id + 1, "The trail's head record was rewritten in the old format, without a MAC");
      case "ok": {
        const h = read.head;
        if (h.anomaly) return result(false, null, h.anomaly);
        const mismatch = endMismatch(h, last);
        if (mismatch) return result(false, Math.min(last.id, h.id) + 1, mismatch);
        if (h.pending !== pending) {
          return result(
            false,
            null,
            pending > h.pending
              ? `${pending} entries are pending but the head records ${h.pending}: a completed entry was turned back into pending`
              : `${pending} entries are pending but the head records ${h.pending}: a pending entry was completed without the audit key`,
          );
        }
      }
    }
    return result(true, null, null);
  } finally {
    end();
  }
}

export interface VerifyRunner {
  run(anchor?: AuditAnchor): Promise<AuditVerify>;
  progress(): AuditVerifyProgress;
}

export function createVerifyRunner(src: WalkSource, signer: AnchorSigner, onProgress?: (p: AuditVerifyProgress) => void): VerifyRunner {
  const state: AuditVerifyProgress = { running: false, checked: 0, total: 0, startedAt: null, last: null };
  let shared: Promise<AuditVerify> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let lastPublished = 0;

  const publish = (force: boolean) => {
    const t = Date.now();
    if (!force && t - lastPublished < 250) return;
    lastPublished = t;
    onProgress?.({ ...state });
  };

  const runOne = (anchor: AuditAnchor | undefined): Promise<AuditVerify> => {
    const next = queue.then(async () => {
      Object.assign(state, { running: true, checked: 0, total: 0, startedAt: new Date().toISOString() });
      publish(true);
      try {
        const r = await walk(src, signer, anchor, (checked, total) => {
          state.checked = checked;
          state.total = total;
          publish(false);
        });
        state.last = r;
        return r;
      } finally {
        state.running = false;
        publish(true);
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    run(anchor) {
      if (anchor) return runOne(anchor);
      if (!shared) {
        shared = runOne(undefined);
        const clear = () => {
          shared = null;
        };
        shared.then(clear, clear);
      }
      return shared;
    },
    progress: () => ({ ...state }),
  };
}
