import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisRateLimiter } from "../../platform/ratelimit/index.ts";
import { dropRedisKeys } from "../../testing/redis.ts";
import { type FakeWecom, startFakeWecom } from "./fake-wecom.fixture.ts";
import { createWecomClient } from "./index.ts";

const redisUrl = process.env.REDIS_URL;
const SECRET = "cluster-secret-4Rt7Yu1Io9Pa";

// Cluster mode: two processes, each with its own Redis connection and client, draw on one budget.
describe.skipIf(!redisUrl)("WeCom rate limits shared through Redis", () => {
  const url = redisUrl ?? "";
  const prefix = `siyu-test-${randomBytes(5).toString("hex")}`;
  const limiters = [
    createRedisRateLimiter({ redisUrl: url, prefix }),
    createRedisRateLimiter({ redisUrl: url, prefix }),
  ];
  let wecom: FakeWecom;

  beforeAll(async () => {
    wecom = await startFakeWecom({ secrets: [SECRET] });
  });
  afterAll(async () => {
    await wecom.close();
    for (const l of limiters) await l.close();
    await dropRedisKeys(url, prefix);
  });

  it("makes the (N+1)th call across two processes wait for the window", async () => {
    const corpId = `ww-cluster-${randomBytes(3).toString("hex")}`;
    const [a, b] = limiters.map((limiter) =>
      createWecomClient({
        apiBase: wecom.url,
        corpId,
        secret: SECRET,
        limiter,
        limits: { perApi: { limit: 2, windowMs: 500 } },
      }),
    );
    if (!a || !b) throw new Error("two clients expected");
    await a.accessToken();
    const started = Date.now();
    const finished: number[] = [];
    const timed = (p: Promise<unknown>) => p.then(() => finished.push(Date.now() - started));
    await Promise.all([timed(a.org.departments()), timed(b.org.departments()), timed(a.org.departments())]);
    finished.sort((x, y) => x - y);
    expect(finished[1]).toBeLessThan(300);
    expect(finished[2]).toBeGreaterThanOrEqual(450);
  });
});
