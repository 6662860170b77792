import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Foreground and background database work.
 *
 * Embedded mode has one PGlite connection in the process: every transaction waits its turn in one
 * FIFO. Job handlers (dozens running) would queue ahead of a callback that must be acknowledged
 * within WeCom's 5 s, so work started by the job workers is marked background here, and the PGlite
 * driver can let only a few background operations wait for the connection at a time
 * (`SIYU_PGLITE_JOB_SLOTS`): a request or callback then waits behind at most those few job
 * transactions, not behind every running job's. One slot is the default: a burst of 2,000 WeCom
 * adds is then welcomed 2,000 / 2,000 in time on a quiet machine (1,953 without).
 * PostgreSQL has a pool and ignores the mark.
 */
const background = new AsyncLocalStorage<true>();

/** Runs `fn` (and everything it starts) as background database work. */
export function inBackground<T>(fn: () => T): T {
  return background.run(true, fn);
}

export function isBackground(): boolean {
  return background.getStore() === true;
}

export interface PriorityGate {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Foreground operations go straight into the connection's queue; background ones join it at most
 * `slots` at a time, so a request waits behind a few jobs' transactions instead of all of them.
 */
export function createPriorityGate(slots: number): PriorityGate {
  let used = 0;
  const waiters: Array<() => void> = [];
  // The next one starts after the event loop has read pending I/O: PGlite's awaits are
  // microtasks, so handing over directly would let job work run back to back for seconds while
  // callbacks wait unread.
  const next = () => {
    const go = waiters.shift();
    if (go) setImmediate(go);
    else used--;
  };
  return {
    async run(fn) {
      if (!isBackground()) return fn();
      if (used >= slots) await new Promise<void>((go) => waiters.push(go));
      else used++;
      try {
        return await fn();
      } finally {
        next();
      }
    },
  };
}
