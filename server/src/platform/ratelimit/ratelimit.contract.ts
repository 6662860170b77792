import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RateLimiter, RateLimitTimeoutError } from "./ratelimit.ts";

/** New limiter instances over the same storage (for memory, the same instance). */
export interface RateLimiterHarness {
  open(): Promise<RateLimiter>;
  close(): Promise<void>;
}

const key = (what: string) => `test:${what}:${randomBytes(4).toString("hex")}`;

/** ONE suite every RateLimiter driver must pass. */
export function defineRateLimiterContract(driverName: string, setup: () => Promise<RateLimiterHarness>) {
  describe(`RateLimiter contract: ${driverName}`, () => {
    let h: RateLimiterHarness;
    let limiter: RateLimiter;
    const opened: RateLimiter[] = [];

    beforeAll(async () => {
      h = await setup();
      limiter = await h.open();
      opened.push(limiter);
    });
    afterAll(async () => {
      for (const l of opened) await l.close();
      await h.close();
    });

    it("allows `limit` acquisitions in a window, refuses the next and says when a slot frees", async () => {
      const k = key("basic");
      const limit = { limit: 3, windowMs: 1_000 };
      for (let i = 0; i < 3; i++) expect(await limiter.tryAcquire(k, limit)).toEqual({ ok: true });
      const refused = await limiter.tryAcquire(k, limit);
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
      }
    });

    it("frees slots once the window has slid past them", async () => {
      const k = key("slide");
      const limit = { limit: 2, windowMs: 300 };
      expect((await limiter.tryAcquire(k, limit)).ok).toBe(true);
      expect((await limiter.tryAcquire(k, limit)).ok).toBe(true);
      expect((await limiter.tryAcquire(k, limit)).ok).toBe(false);
      await new Promise((r) => setTimeout(r, 350));
      expect((await limiter.tryAcquire(k, limit)).ok).toBe(true);
    });

    it("acquire makes the (N+1)th caller wait until the first slot frees", async () => {
      const k = key("wait");
      const limit = { limit: 2, windowMs: 400 };
      const started = Date.now();
      const done: number[] = [];
      await Promise.all(
        [0, 1, 2].map(() => limiter.acquire(k, limit).then(() => done.push(Date.now() - started))),
      );
      done.sort((a, b) => a - b);
      expect(done[1]).toBeLessThan(150);
      expect(done[2]).toBeGreaterThanOrEqual(380);
      expect(done[2]).toBeLessThan(1_500);
    });

    it("keeps keys independent", async () => {
      const limit = { limit: 1, windowMs: 10_000 };
      const a = key("a");
      const b = key("b");
      expect((await limiter.tryAcquire(a, limit)).ok).toBe(true);
      expect((await limiter.tryAcquire(a, limit)).ok).toBe(false);
      expect((await limiter.tryAcquire(b, limit)).ok).toBe(true);
    });

    it("never lets more than `limit` through under concurrency", async () => {
      const k = key("race");
      const limit = { limit: 5, windowMs: 10_000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => limiter.tryAcquire(k, limit)));
      expect(results.filter((r) => r.ok)).toHaveLength(5);
    });

    it("shares one budget between instances over the same storage", async () => {
      const other = await h.open();
      opened.push(other);
      const k = key("shared");
      const limit = { limit: 2, windowMs: 10_000 };
      expect((await limiter.tryAcquire(k, limit)).ok).toBe(true);
      expect((await other.tryAcquire(k, limit)).ok).toBe(true);
      expect((await limiter.tryAcquire(k, limit)).ok).toBe(false);
      expect((await other.tryAcquire(k, limit)).ok).toBe(false);
    });

    it("gives up after maxWaitMs, and when the caller aborts", async () => {
      const k = key("giveup");
      const limit = { limit: 1, windowMs: 10_000 };
      await limiter.acquire(k, limit);
      const started = Date.now();
      await expect(limiter.acquire(k, limit, { maxWaitMs: 100 })).rejects.toBeInstanceOf(
        RateLimitTimeoutError,
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("stop waiting")), 50);
      await expect(limiter.acquire(k, limit, { signal: controller.signal })).rejects.toThrow("stop waiting");
    });

    it("refuses nonsense limits", async () => {
      await expect(limiter.tryAcquire(key("bad"), { limit: 0, windowMs: 1000 })).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(limiter.tryAcquire(key("bad"), { limit: 1, windowMs: 0 })).rejects.toBeInstanceOf(
        RangeError,
      );
    });
  });
}
