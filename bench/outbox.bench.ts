// Outbox throughput: events written through the outbox in business transactions AND delivered to one
// subscriber whose handler inserts a row, per second, against plain multi-row INSERTs of the same rows.
// PGlite always; PostgreSQL too when DATABASE_URL is set (in a fresh database, dropped afterwards), and
// PostgreSQL with BullMQ delivering when REDIS_URL is set as well.
// Run alone: `node --import tsx bench/outbox.bench.ts`, or with the others: `npm run bench outbox`.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Database } from "../server/src/platform/db/index.ts";
import { migrate } from "../server/src/platform/db/migrate.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import { createEventBus } from "../server/src/platform/events/event-bus.ts";
import { createBullQueue } from "../server/src/platform/jobs/bullmq.driver.ts";
import type { JobQueue } from "../server/src/platform/jobs/jobs.ts";
import { createPgBossQueue } from "../server/src/platform/jobs/pgboss.driver.ts";
import { dropRedisKeys } from "../server/src/testing/redis.ts";
import { type BenchResult, type Figure, freshPostgres, median, type Ratio, round, runIfMain } from "./lib.ts";

const events = 1000; // per repetition
const eventsPerTransaction = 50;
const reps = 3;
const rowsPerInsert = 500;
const tenantId = "ten_bench";

async function prepare(db: Database) {
  await migrate(db);
  await db.query("insert into tenants (id, name) values ($1, 'bench')", [tenantId]);
  for (const table of ["bench_effects", "bench_plain"]) {
    await db.query(
      `create table ${table} (tenant_id text not null, event_id text not null, n integer not null)`,
    );
    await db.query(`grant select, insert on ${table} to siyu_app`);
  }
}

async function count(db: Database, table: string): Promise<number> {
  const [row] = await db.query<{ n: number | string }>(`select count(*) as n from ${table}`);
  return Number(row?.n ?? 0);
}

/** The baseline: the same rows as plain multi-row INSERTs, `rowsPerInsert` per statement. */
async function plainInserts(db: Database, rep: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < events; i += rowsPerInsert) {
    const values: string[] = [];
    const params: unknown[] = [];
    for (let j = i; j < Math.min(events, i + rowsPerInsert); j++) {
      values.push(`($${params.length + 1}, $${params.length + 2}, $${params.length + 3})`);
      params.push(tenantId, `evt_plain_${rep}_${j}`, j);
    }
    await db.tenant(tenantId, (s) => s.query(`insert into bench_plain values ${values.join(", ")}`, params));
  }
  return events / ((performance.now() - started) / 1000);
}

async function measure(
  kind: string,
  db: Database,
  queue: (db: Database) => JobQueue = (d) => createPgBossQueue({ db: d }),
): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  await prepare(db);
  const jobs = queue(db);
  const bus = createEventBus({ db, jobs });
  bus.subscribe({
    name: "bench",
    events: ["bench.happened"],
    handler: async (e, scope) => {
      await scope.query("insert into bench_effects values ($1, $2, $3)", [e.tenantId, e.id, e.payload.n]);
    },
  });
  await jobs.start();
  await jobs.work({ queues: ["automation"] });
  await bus.start();

  const endToEnd: number[] = [];
  const writes: number[] = [];
  const plain: number[] = [];
  const latencies: number[] = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      plain.push(await plainInserts(db, rep));
      const target = (await count(db, "bench_effects")) + events;
      const started = performance.now();
      for (let i = 0; i < events; i += eventsPerTransaction) {
        await db.tenant(tenantId, async (s) => {
          for (let j = i; j < i + eventsPerTransaction; j++) {
            await bus.publish(s, {
              type: "bench.happened",
              aggregateType: "bench",
              aggregateId: `a${j % 100}`,
              payload: { n: j },
            });
          }
        });
      }
      writes.push(events / ((performance.now() - started) / 1000));
      while ((await count(db, "bench_effects")) < target) await new Promise((r) => setTimeout(r, 20));
      endToEnd.push(events / ((performance.now() - started) / 1000));
    }
    // Latency of one event on an idle system: commit → handler's row visible.
    for (let i = 0; i < 7; i++) {
      const target = (await count(db, "bench_effects")) + 1;
      const started = performance.now();
      await db.tenant(tenantId, (s) =>
        bus.publish(s, {
          type: "bench.happened",
          aggregateType: "bench",
          aggregateId: "lat",
          payload: { n: i },
        }),
      );
      while ((await count(db, "bench_effects")) < target) await new Promise((r) => setTimeout(r, 5));
      latencies.push(performance.now() - started);
    }
  } finally {
    await bus.stop();
    await jobs.stop(2000);
  }
  const e2e = median(endToEnd);
  const base = median(plain);
  return {
    figures: [
      { label: `${kind}: outbox written + delivered`, value: round(e2e), unit: "events/s" },
      { label: `${kind}: outbox written (publish only)`, value: round(median(writes)), unit: "events/s" },
      { label: `${kind}: plain INSERT, ${rowsPerInsert} rows/statement`, value: round(base), unit: "rows/s" },
      { label: `${kind}: one event, commit → handled`, value: round(median(latencies)), unit: "ms" },
    ],
    ratios: [
      {
        label: `${kind}: plain INSERT vs outbox delivered`,
        value: round(base / e2e),
        baseline: "outbox events/s",
      },
    ],
  };
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const pglite = await openPglite(undefined);
  try {
    const r = await measure("PGlite", pglite);
    figures.push(...r.figures);
    ratios.push(...r.ratios);
  } finally {
    await pglite.close();
  }
  const fresh = await freshPostgres("bench_outbox");
  if (fresh) {
    const pg = await openPostgres(fresh.url);
    try {
      const r = await measure("PostgreSQL", pg);
      figures.push(...r.figures);
      ratios.push(...r.ratios);
    } finally {
      await pg.close();
      await fresh.drop();
    }
  }
  // The scale deployment: PostgreSQL for rows, BullMQ on Redis for the delivery jobs.
  const redisUrl = process.env.REDIS_URL;
  const freshForBull = redisUrl ? await freshPostgres("bench_outbox") : null;
  if (redisUrl && freshForBull) {
    const pg = await openPostgres(freshForBull.url);
    const prefix = `siyu-bench-${randomBytes(4).toString("hex")}`;
    try {
      const r = await measure("PostgreSQL + BullMQ", pg, (d) => createBullQueue({ redisUrl, db: d, prefix }));
      figures.push(...r.figures);
      ratios.push(...r.ratios);
    } finally {
      await pg.close();
      await freshForBull.drop();
      await dropRedisKeys(redisUrl, prefix);
    }
  }
  return {
    name: "outbox",
    figures,
    ratios,
    notes:
      `${events} events × ${reps} reps per database (median), ${eventsPerTransaction} events per transaction, ` +
      "pg-boss driver (BullMQ when REDIS_URL is set too), 4 workers; each delivery is one job and one tenant " +
      "transaction (processed-event record + handler row).",
  };
}

await runIfMain(import.meta.url, run);
