import { randomBytes } from "node:crypto";
import { describe } from "vitest";
import { dropRedisKeys } from "../../testing/redis.ts";
import { migrate } from "../db/migrate.ts";
import { openPglite } from "../db/pglite.ts";
import { createBullQueue } from "./bullmq.driver.ts";
import { defineJobQueueContract } from "./jobs.contract.ts";

const redisUrl = process.env.REDIS_URL;

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
        await dropRedisKeys(url, prefix);
      },
    };
  });
});
