import { createMemoryRateLimiter } from "./memory.driver.ts";
import { defineRateLimiterContract } from "./ratelimit.contract.ts";

defineRateLimiterContract("memory", async () => {
  // One process, one store: "another instance over the same storage" is the same limiter.
  const limiter = createMemoryRateLimiter();
  return { open: async () => limiter, close: async () => {} };
});
