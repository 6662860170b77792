// Job queue throughput: no-op jobs per second end to end (send → handled), through the JobQueue
// interface, for pg-boss on PGlite, pg-boss on PostgreSQL (DATABASE_URL) and BullMQ (REDIS_URL).
// Jobs are sent one by one (`send`, 32 at a time, as callers without a batch do) and in batches
// (`sendMany`, 500 per call); 4 workers (the default concurrency) handle them.
// Baselines in the same run: plain multi-row INSERTs of the same number of rows (SQL drivers), and
// raw BullMQ `addBulk` + a `Worker` with the same concurrency (BullMQ).
// Run alone: `node --import tsx bench/jobs.bench.ts`, or with the others: `npm run bench jobs`.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Database } from "../server/src/platform/db/index.ts";
import { migrate } from "../server/src/platform/db/migrate.ts";
import { openPglite } from "../server/src/platform/db/pglite.ts";
import { openPostgres } from "../server/src/platform/db/postgres.ts";
import { createBullQueue } from "../server/src/platform/jobs/bullmq.driver.ts";
import type { JobQueue } from "../server/src/platform/jobs/jobs.ts";
import { createPgBossQueue } from "../server/src/platform/jobs/pgboss.driver.ts";
import { dropRedisKeys } from "../server/src/testing/redis.ts";
import { type BenchResult, type Figure, freshPostgres, median, type Ratio, round, runIfMain } from "./lib.ts";

const jobsPerRep = 2000;
const reps = 3;
const batch = 500;
const sendConcurrency = 32;
const concurrency = 4;

type Mode = "send" | "sendMany";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean, what: string, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

async function sendAll(jobs: JobQueue, name: string, n: number, mode: Mode, rep: number) {
  if (mode === "sendMany") {
    for (let i = 0; i < n; i += batch) {
      const items = [];
      for (let j = i; j < Math.min(n, i + batch); j++) items.push({ name, data: { rep, j } });
      await jobs.sendMany(items);
    }
    return;
  }
  for (let i = 0; i < n; i += sendConcurrency) {
    const sends = [];
    for (let j = i; j < Math.min(n, i + sendConcurrency); j++) sends.push(jobs.send(name, { rep, j }));
    await Promise.all(sends);
  }
}

/** Median jobs/s (send → handled) and median send-only rate through the JobQueue interface. */
async function measureQueue(jobs: JobQueue, mode: Mode): Promise<{ e2e: number; sent: number }> {
  let handled = 0;
  const name = `bench.noop.${mode}`;
  jobs.define({
    name,
    queue: "realtime",
    handler: async () => {
      handled++;
    },
  });
  const e2e: number[] = [];
  const sent: number[] = [];
  // One unmeasured warm-up round (first queries, JIT), then the measured ones.
  for (let rep = -1; rep < reps; rep++) {
    const target = handled + jobsPerRep;
    const started = performance.now();
    await sendAll(jobs, name, jobsPerRep, mode, rep);
    const sentAt = performance.now();
    await waitUntil(() => handled >= target, `${mode} jobs handled`);
    if (rep < 0) continue;
    sent.push(jobsPerRep / ((sentAt - started) / 1000));
    e2e.push(jobsPerRep / ((performance.now() - started) / 1000));
  }
  return { e2e: median(e2e), sent: median(sent) };
}

/** The SQL baseline: the same number of rows as plain multi-row INSERTs, `batch` rows per statement. */
async function plainInserts(db: Database): Promise<number> {
  await db.query(
    "create table if not exists bench_jobs_plain (id bigserial primary key, data jsonb not null)",
  );
  const rates: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const started = performance.now();
    for (let i = 0; i < jobsPerRep; i += batch) {
      const values: string[] = [];
      const params: unknown[] = [];
      for (let j = i; j < Math.min(jobsPerRep, i + batch); j++) {
        params.push(JSON.stringify({ rep, j }));
        values.push(`($${params.length}::jsonb)`);
      }
      await db.query(`insert into bench_jobs_plain (data) values ${values.join(", ")}`, params);
    }
    rates.push(jobsPerRep / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

async function measureSql(kind: string, db: Database): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  await migrate(db);
  const base = await plainInserts(db);
  const figures: Figure[] = [
    { label: `${kind}: plain INSERT, ${batch} rows/statement`, value: round(base), unit: "rows/s" },
  ];
  const ratios: Ratio[] = [];
  for (const mode of ["send", "sendMany"] as const) {
    if (mode === "sendMany" && !("sendMany" in createPgBossQueue({ db }))) continue;
    const jobs = createPgBossQueue({ db });
    await jobs.start();
    await jobs.work({ queues: ["realtime"], concurrency: { realtime: concurrency } });
    try {
      const r = await measureQueue(jobs, mode);
      figures.push(
        { label: `${kind} + pg-boss: ${mode} → handled`, value: round(r.e2e), unit: "jobs/s" },
        { label: `${kind} + pg-boss: ${mode} only`, value: round(r.sent), unit: "jobs/s" },
      );
      ratios.push({
        label: `${kind}: plain INSERT vs pg-boss ${mode} → handled`,
        value: round(base / r.e2e),
        baseline: "jobs/s",
      });
    } finally {
      await jobs.stop(2000);
    }
  }
  return { figures, ratios };
}

/** The BullMQ baseline: raw `addBulk` + one `Worker` with the same concurrency, no-op processor. */
async function rawBull(url: string, prefix: string): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue("raw", { connection, prefix });
  let handled = 0;
  const worker = new Worker(
    "raw",
    async () => {
      handled++;
    },
    { connection: new Redis(url, { maxRetriesPerRequest: null }), prefix, concurrency },
  );
  await worker.waitUntilReady();
  const rates: number[] = [];
  try {
    for (let rep = -1; rep < reps; rep++) {
      const target = handled + jobsPerRep;
      const started = performance.now();
      for (let i = 0; i < jobsPerRep; i += batch) {
        const items = [];
        for (let j = i; j < Math.min(jobsPerRep, i + batch); j++)
          items.push({ name: "noop", data: { rep, j }, opts: { removeOnComplete: true } });
        await queue.addBulk(items);
      }
      await waitUntil(() => handled >= target, "raw BullMQ jobs");
      if (rep >= 0) rates.push(jobsPerRep / ((performance.now() - started) / 1000));
    }
  } finally {
    await worker.close();
    await queue.close();
    await connection.quit();
  }
  return median(rates);
}

async function measureBull(url: string, db: Database): Promise<{ figures: Figure[]; ratios: Ratio[] }> {
  const prefix = `siyu-bench-${randomBytes(4).toString("hex")}`;
  try {
    const base = await rawBull(url, prefix);
    const figures: Figure[] = [
      { label: `raw BullMQ addBulk + Worker (${concurrency})`, value: round(base), unit: "jobs/s" },
    ];
    const ratios: Ratio[] = [];
    for (const mode of ["send", "sendMany"] as const) {
      const jobs = createBullQueue({ redisUrl: url, db, prefix });
      if (mode === "sendMany" && !("sendMany" in jobs)) continue;
      await jobs.start();
      await jobs.work({ queues: ["realtime"], concurrency: { realtime: concurrency } });
      try {
        const r = await measureQueue(jobs, mode);
        figures.push(
          { label: `BullMQ driver: ${mode} → handled`, value: round(r.e2e), unit: "jobs/s" },
          { label: `BullMQ driver: ${mode} only`, value: round(r.sent), unit: "jobs/s" },
        );
        ratios.push({
          label: `raw BullMQ vs BullMQ driver ${mode} → handled`,
          value: round(base / r.e2e),
          baseline: "jobs/s",
        });
      } finally {
        await jobs.stop(2000);
      }
    }
    return { figures, ratios };
  } finally {
    await dropRedisKeys(url, prefix);
  }
}

export async function run(): Promise<BenchResult> {
  const figures: Figure[] = [];
  const ratios: Ratio[] = [];
  const add = (r: { figures: Figure[]; ratios: Ratio[] }) => {
    figures.push(...r.figures);
    ratios.push(...r.ratios);
  };
  const pglite = await openPglite(undefined);
  try {
    add(await measureSql("PGlite", pglite));
  } finally {
    await pglite.close();
  }
  const fresh = await freshPostgres("bench_jobs");
  if (fresh) {
    const pg = await openPostgres(fresh.url);
    try {
      add(await measureSql("PostgreSQL", pg));
    } finally {
      await pg.close();
      await fresh.drop();
    }
  }
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl) {
    // The dead-letter table lives in SQL; in-memory PGlite serves it here.
    const db = await openPglite(undefined);
    try {
      await migrate(db);
      add(await measureBull(redisUrl, db));
    } finally {
      await db.close();
    }
  }
  return {
    name: "jobs",
    figures,
    ratios,
    notes:
      `${jobsPerRep} no-op jobs × ${reps} reps (median, after one warm-up round), queue "realtime" with ` +
      `${concurrency} workers; send = ${sendConcurrency} send() calls at a time, sendMany = ${batch} jobs per call. ` +
      "Rates are from the first send to the last job handled.",
  };
}

await runIfMain(import.meta.url, run);
