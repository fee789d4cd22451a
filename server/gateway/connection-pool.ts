// One authenticated connection per teammate's gateway, shared by all callers while in use and
// closed after `idleCloseMs` without users. Concurrent callers share one pending connect, so a
// bad token costs the gateway one failed login, not one per caller. Failed connects are not cached.
import { GatewayConnection, type OpenConnectionParams } from "./connection.ts";
import { GatewayError } from "./errors.ts";
import type { GatewayCredentialStore, GatewayLogger } from "./types.ts";

interface Entry {
  key: string;
  conn: Promise<GatewayConnection>;
  users: number;
  idleTimer: NodeJS.Timeout | null;
  live: GatewayConnection | null;
}

export interface PoolOptions {
  credentials: GatewayCredentialStore;
  logger?: GatewayLogger;
  idleCloseMs: number;
  connectTimeoutMs: number;
  clientVersion: string;
  /** A liveness event (LIVENESS_EVENTS) arrived on a teammate's open connection. */
  onAlive?: (teammateId: number, event: string) => void;
}

/** Gateway events that prove an open connection's gateway is up. */
const LIVENESS_EVENTS = new Set(["tick", "health", "presence"]);

export interface Lease {
  conn: GatewayConnection;
  release(): void;
}

export class ConnectionPool {
  private readonly entries = new Map<number, Entry>();
  private readonly closing = new Set<Promise<void>>();
  private readonly opts: PoolOptions;
  private closed = false;

  constructor(opts: PoolOptions) {
    this.opts = opts;
  }

  /** Open (authenticated, not closed) connections. */
  openCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.live && !e.live.closed) n++;
    return n;
  }

  async acquire(target: { teammateId: number; url: string; tlsFingerprint: string | null }, o: { connectTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<Lease> {
    if (this.closed) throw new GatewayError("GATEWAY_ERROR", "The gateway connector is shut down.", { reason: "connector-closed" });
    const key = `${target.url}|${target.tlsFingerprint ?? ""}`;
    let entry = this.entries.get(target.teammateId);
    if (entry && (entry.key !== key || entry.live?.closed)) {
      this.drop(target.teammateId, entry);
      entry = undefined;
    }
    if (!entry) {
      const params: OpenConnectionParams = {
        teammateId: target.teammateId,
        url: target.url,
        tlsFingerprint: target.tlsFingerprint,
        credentials: this.opts.credentials,
        connectTimeoutMs: o.connectTimeoutMs ?? this.opts.connectTimeoutMs,
        clientVersion: this.opts.clientVersion,
        ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      };
      const created: Entry = { key, conn: GatewayConnection.open(params), users: 0, idleTimer: null, live: null };
      entry = created;
      this.entries.set(target.teammateId, created);
      created.conn.then(
        (c) => {
          if (this.entries.get(target.teammateId) !== created || this.closed) {
            this.track(c.close());
            return;
          }
          created.live = c;
          const onAlive = this.opts.onAlive;
          if (onAlive) {
            c.onEvent((e) => {
              if (LIVENESS_EVENTS.has(e.event)) onAlive(target.teammateId, e.event);
            });
          }
          c.onClose(() => {
            if (this.entries.get(target.teammateId) === created) this.drop(target.teammateId, created);
          });
        },
        () => {
          if (this.entries.get(target.teammateId) === created) this.entries.delete(target.teammateId);
        },
      );
    }
    const e = entry;
    e.users++;
    if (e.idleTimer) {
      clearTimeout(e.idleTimer);
      e.idleTimer = null;
    }
    let conn: GatewayConnection;
    try {
      conn = await (o.signal ? raceAbort(e.conn, o.signal) : e.conn);
    } catch (err) {
      this.release(target.teammateId, e);
      throw err;
    }
    let released = false;
    return {
      conn,
      release: () => {
        if (released) return;
        released = true;
        this.release(target.teammateId, e);
      },
    };
  }

  private release(teammateId: number, e: Entry): void {
    e.users = Math.max(0, e.users - 1);
    if (e.users > 0 || this.entries.get(teammateId) !== e) return;
    if (e.idleTimer) clearTimeout(e.idleTimer);
    e.idleTimer = setTimeout(() => {
      if (this.entries.get(teammateId) === e && e.users === 0) this.drop(teammateId, e);
    }, this.opts.idleCloseMs);
    e.idleTimer.unref();
  }

  private drop(teammateId: number, e: Entry): void {
    if (this.entries.get(teammateId) === e) this.entries.delete(teammateId);
    if (e.idleTimer) clearTimeout(e.idleTimer);
    e.idleTimer = null;
    this.track(
      e.conn.then(
        (c) => c.close(),
        () => undefined,
      ),
    );
  }

  private track(p: Promise<void>): void {
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }

  forget(teammateId: number): void {
    const e = this.entries.get(teammateId);
    if (e) this.drop(teammateId, e);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [id, e] of [...this.entries]) this.drop(id, e);
    while (this.closing.size) await Promise.allSettled([...this.closing]);
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new GatewayError("GATEWAY_ERROR", "The send was aborted.", { aborted: true }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new GatewayError("GATEWAY_ERROR", "The send was aborted.", { aborted: true }));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
