/**
 * Rate limiting: one interface, two drivers (in-memory for one process, Redis for a cluster so
 * every process draws on the same budget), both proven by `ratelimit.contract.ts`.
 *
 * Required behaviour of every driver:
 * - Sliding window: at most `limit` acquisitions of one key within any `windowMs`. A fixed
 *   window would let 2 × limit through around a boundary, which an outside platform counting
 *   its own way may punish (WeCom answers 45009 and then wants minutes of quiet).
 * - `tryAcquire` never waits: it takes a slot or says how long until one frees.
 * - `acquire` waits (polling `tryAcquire`) until a slot is taken, or rejects when its signal
 *   aborts or `maxWaitMs` passes. Waiting callers are not queued fairly; each one retries when
 *   the oldest slot it saw expires.
 * - Keys are independent; drivers over the same storage (one Redis + prefix) share budgets.
 */
export interface RateLimit {
  /** Acquisitions allowed within one window (≥ 1). */
  limit: number;
  /** Window length in ms (≥ 1). */
  windowMs: number;
}

export type RateLimitDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Give up (RateLimitTimeoutError) rather than wait longer than this. Default: wait as long as needed. */
  maxWaitMs?: number;
}

export interface RateLimiter {
  readonly driver: "memory" | "redis";
  /** Takes one slot of `key`, waiting until one is free. */
  acquire(key: string, limit: RateLimit, options?: AcquireOptions): Promise<void>;
  /** Takes one slot of `key` if one is free now. */
  tryAcquire(key: string, limit: RateLimit): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

export class RateLimitTimeoutError extends Error {
  constructor(key: string, waitedMs: number) {
    super(`rate limit ${key}: no slot within ${waitedMs} ms`);
    this.name = "RateLimitTimeoutError";
  }
}

export function checkLimit({ limit, windowMs }: RateLimit): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`rate limit must be an integer ≥ 1: ${limit}`);
  if (!Number.isFinite(windowMs) || windowMs < 1)
    throw new RangeError(`rate window must be ≥ 1 ms: ${windowMs}`);
}

/** Sleeps `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The waiting half shared by every driver, so they differ only in how a slot is taken.
 * A little jitter keeps a crowd of waiters from all retrying on the same millisecond.
 */
export async function acquireByPolling(
  tryAcquire: () => Promise<RateLimitDecision>,
  key: string,
  options: AcquireOptions = {},
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const decision = await tryAcquire();
    if (decision.ok) return;
    let wait = Math.max(1, decision.retryAfterMs) + Math.floor(Math.random() * 5);
    if (options.maxWaitMs !== undefined) {
      const left = options.maxWaitMs - (Date.now() - started);
      if (left <= 0 || wait > left + 5) throw new RateLimitTimeoutError(key, Date.now() - started);
      wait = Math.min(wait, left);
    }
    await sleep(wait, options.signal);
  }
}
