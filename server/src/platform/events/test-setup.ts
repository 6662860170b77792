import { randomBytes } from "node:crypto";
import { type DbKind, dbKinds, freshDatabase } from "../../testing/databases.ts";
import { dropRedisKeys } from "../../testing/redis.ts";
import type { Database } from "../db/index.ts";
import { migrate } from "../db/migrate.ts";
import { createBullQueue } from "../jobs/bullmq.driver.ts";
import type { JobQueue } from "../jobs/jobs.ts";
import { createPgBossQueue } from "../jobs/pgboss.driver.ts";

/** Test-only: a fresh migrated database with one tenant and a started pg-boss queue (not yet working). */
export interface EventsWorld {
  db: Database;
  jobs: JobQueue;
  tenantId: string;
  close(): Promise<void>;
}

export type QueueKind = "pg-boss" | "bullmq";

/**
 * Database × queue driver pairs to run the suites on: pg-boss on each database kind, and BullMQ on
 * the last one (PostgreSQL when set, as deployed at scale) when REDIS_URL is set.
 */
export const worlds: Array<[DbKind, QueueKind]> = [
  ...dbKinds.map((k): [DbKind, QueueKind] => [k, "pg-boss"]),
  ...(process.env.REDIS_URL ? [[dbKinds.at(-1) ?? "pglite", "bullmq"] as [DbKind, QueueKind]] : []),
];

export async function openWorld(kind: DbKind, queueKind: QueueKind = "pg-boss"): Promise<EventsWorld> {
  const fresh = await freshDatabase(kind, { migrated: true });
  const { db } = fresh;
  await migrate(db);
  const tenantId = "ten_a";
  await db.query("insert into tenants (id, name) values ($1, 'A'), ('ten_b', 'B')", [tenantId]);
  // A tenant table of the test's own, for handlers to write their effects in.
  await db.query(
    "create table effects (n serial, tenant_id text not null, who text not null, event_id text not null)",
  );
  await db.query("grant select, insert on effects to siyu_app");
  await db.query("grant usage on sequence effects_n_seq to siyu_app");
  const redisUrl = process.env.REDIS_URL ?? "";
  const prefix = `siyu-test-${randomBytes(5).toString("hex")}`;
  const jobs =
    queueKind === "bullmq"
      ? createBullQueue({ redisUrl, db, prefix })
      : createPgBossQueue({ db, pollMs: 500 });
  return {
    db,
    jobs,
    tenantId,
    async close() {
      await jobs.stop(1000).catch(() => undefined);
      await fresh.drop();
      if (queueKind === "bullmq") await dropRedisKeys(redisUrl, prefix);
    },
  };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function effects(db: Database, who: string): Promise<string[]> {
  const rows = await db.query<{ event_id: string }>(
    "select event_id from effects where who = $1 order by n",
    [who],
  );
  return rows.map((r) => r.event_id);
}
