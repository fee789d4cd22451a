// Group commit: the writes of one event-loop turn share one SQLite transaction.
//
// A send used to commit about six times (message row, pending audit entry, its row updates,
// completion, final row), each commit writing the touched pages — audit table, FTS index, head,
// messages — to the WAL again: ~157 KB per send, and a broadcast to 2000 made ~8000 commits.
// Writers call join(): the first one in a turn opens the transaction (BEGIN IMMEDIATE), later
// ones land in it (better-sqlite3 turns their own transaction() calls into savepoints), and it
// commits at the end of the turn (setImmediate). Whoever must not act on uncommitted state
// awaits durable(): deliver() before chat.send goes out (a crash must leave the pending audit
// entry behind), HTTP responses before they are sent, the fallback hook before it notifies.
// Events published while a batch is open are held until it commits (afterCommit), so no client
// sees a state the database could still lose.
import type Database from "better-sqlite3";

export interface WriteBatch {
  /** Opens this turn's transaction unless one is open; it commits when the turn ends. */
  join(): void;
  /** True while a batch transaction is open (written but not yet committed). */
  readonly open: boolean;
  /** Resolves when everything written so far is committed; rejects if that commit failed. */
  durable(): Promise<void>;
  /** Commits now (before a snapshot, a backup or closing); throws if the commit fails. */
  flush(): void;
  /** Runs fn after the open batch commits (dropped if it fails), or now when none is open. */
  afterCommit(fn: () => void): void;
  /** Batches committed so far (benchmarks and tests). */
  readonly commits: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

const batches = new WeakMap<Database.Database, WriteBatch>();

/** The connection's batch (one per connection: the transaction belongs to it). */
export function writeBatchOf(sqlite: Database.Database): WriteBatch {
  let batch = batches.get(sqlite);
  if (!batch) {
    batch = createWriteBatch(sqlite);
    batches.set(sqlite, batch);
  }
  return batch;
}

function createWriteBatch(sqlite: Database.Database): WriteBatch {
  let open = false;
  let commits = 0;
  let waiters: Waiter[] = [];
  let after: (() => void)[] = [];
  let scheduled: NodeJS.Immediate | null = null;

  const settle = (err: Error | null) => {
    const w = waiters;
    const a = after;
    waiters = [];
    after = [];
    for (const x of w) {
      if (err) x.reject(err);
      else x.resolve();
    }
    if (err) return;
    for (const fn of a) fn();
  };

  const commit = (): Error | null => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = null;
    if (!open) return null;
    open = false;
    let failure: Error | null = null;
    try {
      // a failed statement may have ended the transaction already (SQLite rolls back on some
      // errors): then there is nothing to commit, and what it held is lost — say so
      if (!sqlite.inTransaction) throw new Error("the write batch's transaction was rolled back");
      sqlite.exec("COMMIT");
      commits++;
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      if (sqlite.inTransaction) {
        try {
          sqlite.exec("ROLLBACK");
        } catch {
          // the connection is gone; nothing more to undo
        }
      }
    }
    settle(failure);
    return failure;
  };

  return {
    get open() {
      return open;
    },
    get commits() {
      return commits;
    },
    join() {
      if (open || !sqlite.open) return;
      // a caller's own transaction is running: its writes commit with it
      if (sqlite.inTransaction) return;
      sqlite.exec("BEGIN IMMEDIATE");
      open = true;
      scheduled = setImmediate(commit);
    },
    durable() {
      if (!open) return Promise.resolve();
      return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    },
    flush() {
      const err = commit();
      if (err) throw err;
    },
    afterCommit(fn) {
      if (open) after.push(fn);
      else fn();
    },
  };
}
