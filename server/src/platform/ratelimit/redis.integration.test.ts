import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { dropRedisKeys } from "../../testing/redis.ts";
import { defineRateLimiterContract } from "./ratelimit.contract.ts";
import { createRedisRateLimiter } from "./redis.driver.ts";

const redisUrl = process.env.REDIS_URL;

describe.skipIf(!redisUrl)("Redis rate limiter", () => {
  defineRateLimiterContract("Redis", async () => {
    const url = redisUrl ?? "";
    const prefix = `siyu-test-${randomBytes(5).toString("hex")}`;
    return {
      open: async () => createRedisRateLimiter({ redisUrl: url, prefix }),
      close: () => dropRedisKeys(url, prefix),
    };
  });
});
