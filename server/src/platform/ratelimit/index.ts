import type { Config } from "../config/config.ts";
import { createMemoryRateLimiter } from "./memory.driver.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { createRedisRateLimiter } from "./redis.driver.ts";

export { createMemoryRateLimiter } from "./memory.driver.ts";
export type { AcquireOptions, RateLimit, RateLimitDecision, RateLimiter } from "./ratelimit.ts";
export { RateLimitTimeoutError } from "./ratelimit.ts";
export { createRedisRateLimiter, type RedisRateLimiterOptions } from "./redis.driver.ts";

/** Redis when configured (limits shared by every process of a cluster), else in-process memory. */
export function createRateLimiter(config: Pick<Config, "redisUrl" | "redisPrefix">): RateLimiter {
  return config.redisUrl
    ? createRedisRateLimiter({ redisUrl: config.redisUrl, prefix: config.redisPrefix })
    : createMemoryRateLimiter();
}
