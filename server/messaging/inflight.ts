// Work that outlives its HTTP request (wait:false sends, broadcast fan-out) is tracked here so
// shutdown can wait for it, then abort what is left.
export type AbortReason = "cancelled" | "interrupted";

export interface InFlight {
  /** Keeps the promise until it settles; never rejects to the caller of track. */
  track(work: Promise<unknown>): void;
  /** A controller aborted by abortAll(); call the returned function when done. */
  controller(): { controller: AbortController; done(): void };
  size(): number;
  /** Resolves true when everything settled, false at the deadline. */
  drain(ms: number): Promise<boolean>;
  abortAll(reason: AbortReason): void;
}

export function createInFlight(): InFlight {
  const work = new Set<Promise<unknown>>();
  const controllers = new Set<AbortController>();
  return {
    track(p) {
      const guarded = p.catch(() => undefined).finally(() => work.delete(guarded));
      work.add(guarded);
    },
    controller() {
      const controller = new AbortController();
      controllers.add(controller);
      return { controller, done: () => controllers.delete(controller) };
    },
    size: () => work.size,
    async drain(ms) {
      const deadline = Date.now() + ms;
      while (work.size > 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...work]),
          new Promise((r) => {
            timer = setTimeout(r, left);
          }),
        ]);
        clearTimeout(timer);
      }
      return true;
    },
    abortAll(reason) {
      for (const c of controllers) if (!c.signal.aborted) c.abort(reason);
    },
  };
}
