import type { Config } from "../config/config.ts";
import type { Database } from "../db/index.ts";
import type { Logger } from "../logger.ts";
import { createBullQueue } from "./bullmq.driver.ts";
import type { JobQueue } from "./jobs.ts";
import { createPgBossQueue } from "./pgboss.driver.ts";

export { type BullQueueOptions, createBullQueue } from "./bullmq.driver.ts";
export type {
  DeadJob,
  JobContext,
  JobDefinition,
  JobQueue,
  JobToSend,
  QueueCounts,
  QueueName,
  SendOptions,
  WorkOptions,
} from "./jobs.ts";
export { queueNames, RetryLater } from "./jobs.ts";
export { createPgBossQueue, type PgBossQueueOptions } from "./pgboss.driver.ts";

/** BullMQ when Redis is configured, else pg-boss on the database (PGlite or PostgreSQL). */
export function createJobQueue(deps: {
  config: Pick<Config, "redisUrl" | "redisPrefix">;
  db: Database;
  log?: Logger;
}): JobQueue {
  const { config, db, log } = deps;
  if (config.redisUrl)
    return createBullQueue({ redisUrl: config.redisUrl, db, log, prefix: config.redisPrefix });
  // Embedded PGlite is opened by one process at a time, so jobs still active at boot are orphans.
  return createPgBossQueue({ db, log, recoverActiveOnStart: db.kind === "pglite" });
}
