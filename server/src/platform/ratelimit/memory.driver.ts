import {
  type AcquireOptions,
  acquireByPolling,
  checkLimit,
  type RateLimit,
  type RateLimitDecision,
  type RateLimiter,
} from "./ratelimit.ts";

/**
 * In-process driver: a log of acquisition times per key. Exact sliding window; memory is
 * O(limit) per active key, and keys idle for a whole window are swept so memory stays bounded.
 */
export function createMemoryRateLimiter(): RateLimiter {
  const logs = new Map<string, { times: number[]; windowMs: number }>();
  let lastSweep = Date.now();

  function sweep(now: number) {
    if (now - lastSweep < 60_000) return;
    lastSweep = now;
    for (const [key, log] of logs) {
      const last = log.times[log.times.length - 1];
      if (last === undefined || now - last >= log.windowMs) logs.delete(key);
    }
  }

  function take(key: string, limit: RateLimit): RateLimitDecision {
    checkLimit(limit);
    const now = Date.now();
    sweep(now);
    let log = logs.get(key);
    if (!log) {
      log = { times: [], windowMs: limit.windowMs };
      logs.set(key, log);
    }
    log.windowMs = limit.windowMs;
    const times = log.times;
    // Times are appended in order, so expired ones are a prefix.
    let expired = 0;
    while (expired < times.length && (times[expired] ?? 0) <= now - limit.windowMs) expired++;
    if (expired) times.splice(0, expired);
    if (times.length < limit.limit) {
      times.push(now);
      return { ok: true };
    }
    // The slot that frees first belongs to the acquisition `limit` places back.
    const blocking = times[times.length - limit.limit] ?? now;
    return { ok: false, retryAfterMs: Math.max(1, blocking + limit.windowMs - now) };
  }

  return {
    driver: "memory",
    tryAcquire: async (key, limit) => take(key, limit),
    acquire: (key: string, limit: RateLimit, options?: AcquireOptions) =>
      acquireByPolling(async () => take(key, limit), key, options),
    close: async () => {
      logs.clear();
    },
  };
}
