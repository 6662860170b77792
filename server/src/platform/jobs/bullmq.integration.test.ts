import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { describe } from "vitest";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import { createBullQueue } from "./bullmq.driver.ts";
import { defineJobQueueContract } from "./jobs.contract.ts";

const redisUrl = process.env.REDIS_URL;

/** Deletes every key under `prefix`, so a test run leaves Redis as it found it. */
async function dropKeys(url: string, prefix: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
  await redis.quit();
}

describe.skipIf(!redisUrl)("BullMQ on Redis", () => {
  defineJobQueueContract("BullMQ", async () => {
    const url = redisUrl ?? "";
    const prefix = `siyu-test-${randomBytes(5).toString("hex")}`;
    // The dead-letter table lives in SQL; in-memory PGlite serves it here.
    const db = await openPglite(undefined);
    await migrate(db);
    return {
      // BullMQ takes 6-field cron: a tick every second.
      cron: { expr: "* * * * * *", tickMs: 1000 },
      open: async () => createBullQueue({ redisUrl: url, db, prefix }),
      close: async () => {
        await db.close();
        await dropKeys(url, prefix);
      },
    };
  });
});
