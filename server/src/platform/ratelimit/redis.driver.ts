import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import {
  type AcquireOptions,
  acquireByPolling,
  checkLimit,
  type RateLimit,
  type RateLimitDecision,
  type RateLimiter,
} from "./ratelimit.ts";

/**
 * Sliding-window log in a sorted set, in one Lua script so concurrent processes cannot both see
 * the last free slot. The clock is Redis's own (`TIME`), so processes with skewed clocks still
 * agree on what a window is. Returns 0 when a slot was taken, else ms until one frees.
 */
const takeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local blocking = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
local wait = tonumber(blocking[2]) + window - now
if wait < 1 then wait = 1 end
return wait
`;

export interface RedisRateLimiterOptions {
  redisUrl: string;
  /** Key prefix (config `redisPrefix`); keys are `<prefix>:ratelimit:<key>`. Default `siyu`. */
  prefix?: string;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const prefix = options.prefix ?? "siyu";
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
  const instance = randomBytes(6).toString("hex");
  let seq = 0;

  async function take(key: string, limit: RateLimit): Promise<RateLimitDecision> {
    checkLimit(limit);
    // Members must be unique even for two acquisitions in the same millisecond.
    const member = `${instance}:${(seq++).toString(36)}`;
    const wait = await redis.eval(
      takeScript,
      1,
      `${prefix}:ratelimit:${key}`,
      String(limit.limit),
      String(Math.ceil(limit.windowMs)),
      member,
    );
    const ms = Number(wait);
    return ms === 0 ? { ok: true } : { ok: false, retryAfterMs: ms };
  }

  return {
    driver: "redis",
    tryAcquire: take,
    acquire: (key: string, limit: RateLimit, opts?: AcquireOptions) =>
      acquireByPolling(() => take(key, limit), key, opts),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
