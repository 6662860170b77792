import PgBoss from "pg-boss";
import type { Database } from "../db/index.ts";
import { AppError, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  attemptsOf,
  concurrencyFor,
  defaultBackoffMs,
  delayOf,
  emptyCounts,
  keepFinishedSeconds,
  keyId,
  priorityOf,
  workedQueues,
} from "./common.ts";
import { countDead, errorText, listDead, recordDead, takeDead, untakeDead } from "./dead-letters.ts";
import type { JobDefinition, JobQueue, QueueCounts, QueueName, SendOptions, WorkOptions } from "./jobs.ts";
import { queueNames } from "./jobs.ts";

/**
 * pg-boss driver (PGlite and PostgreSQL).
 *
 * One pg-boss queue per *engine* queue (`realtime`, `sync`, …) carrying `{ name, data }`, not one
 * per job name: priority then orders every job of an engine queue in one `ORDER BY priority desc`,
 * per-queue concurrency is just N pg-boss workers on one queue (pg-boss 10.4 has no
 * `localConcurrency`; each worker fetches `batchSize: 1`), and counts are one partition each.
 *
 * Cron: pg-boss keys schedules by queue name, so each scheduled job gets a small carrier queue
 * `siyu-cron.<job name>`; pg-boss's timekeeper (guarded across processes by its cron-time row and a
 * 60 s singleton slot) drops a tick into it, and a forwarder worker re-sends it to the engine queue
 * with an idempotency key made of the tick's id. pg-boss only fires a schedule at minute precision.
 */
export interface PgBossQueueOptions {
  db: Database;
  log?: Logger;
  /** How often idle workers poll. pg-boss's minimum is 500 ms. */
  pollMs?: number;
  /**
   * How long a job may stay active before it counts as lost (its process died) and is retried.
   * Also the handler timeout. Default 15 minutes.
   */
  activeTimeoutSec?: number;
  /** How often expired active jobs are recovered and old jobs archived. Default 60 s. */
  maintenanceSec?: number;
  /** How often schedules are checked. Default 10 s (pg-boss allows 1–45). */
  cronCheckSec?: number;
  /** How often a worker process looks for new schedules and timed-out dead jobs. Default 30 s. */
  housekeepingMs?: number;
  /**
   * On start, hand jobs left `active` straight back for retry. Only correct where no other process
   * can be running them: embedded PGlite, whose data directory one process at a time can open.
   * Without it a job cut off by kill -9 waits for `activeTimeoutSec` before it runs again.
   */
  recoverActiveOnStart?: boolean;
}

interface Envelope {
  name: string;
  data: unknown;
}

const cronPrefix = "siyu-cron.";

export function createPgBossQueue(options: PgBossQueueOptions): JobQueue {
  const { db, log } = options;
  const pollSeconds = Math.max(0.5, (options.pollMs ?? 500) / 1000);
  const defs = new Map<string, JobDefinition<never>>();
  // Worker ids per engine queue in this process, for waking one right after a send.
  const localWorkers = new Map<QueueName, string[]>();
  const forwarders = new Set<string>();
  let wakeTurn = 0;
  let working: QueueName[] = [];
  let started = false;

  const boss = new PgBoss({
    db: adapterFor(db),
    schema: "pgboss",
    supervise: true,
    schedule: true,
    migrate: true,
    maintenanceIntervalSeconds: options.maintenanceSec ?? 60,
    cronMonitorIntervalSeconds: options.cronCheckSec ?? 10,
    cronWorkerIntervalSeconds: Math.max(1, Math.min(options.cronCheckSec ?? 5, 5)),
    expireInSeconds: options.activeTimeoutSec ?? 15 * 60,
    archiveCompletedAfterSeconds: keepFinishedSeconds,
    archiveFailedAfterSeconds: keepFinishedSeconds,
  });
  boss.on("error", (err: unknown) => log?.warn({ err }, "pg-boss error"));

  function definition(name: string): JobDefinition<never> {
    const def = defs.get(name);
    if (!def) throw new AppError("internal_error", `job ${name} is not defined`);
    return def;
  }

  function wake(queue: QueueName) {
    const ids = localWorkers.get(queue);
    const id = ids?.[wakeTurn++ % ids.length];
    if (id) boss.notifyWorker(id);
  }

  async function run(queue: QueueName, job: PgBoss.JobWithMetadata<Envelope>): Promise<void> {
    const { name, data } = job.data;
    const attempt = job.retryCount + 1;
    try {
      const def = defs.get(name);
      if (!def) throw new Error(`no handler defined for job ${name} in this process`);
      await def.handler(data as never, { id: job.id, name, queue, attempt });
    } catch (err) {
      if (attempt > job.retryLimit) {
        await recordDead(db, { id: job.id, name, queue, data, error: errorText(err), attempts: attempt });
      }
      log?.warn({ err, job: name, id: job.id, attempt }, "job failed");
      // Failed here (awaited) rather than by pg-boss after we return, so `stop` never leaves it
      // half-recorded; pg-boss's own complete() afterwards only touches active jobs: a no-op.
      await boss.fail(queue, job.id, { message: err instanceof Error ? err.message : String(err) });
      return;
    }
    await boss.complete(queue, job.id);
  }

  async function startForwarder(cronQueue: string) {
    if (forwarders.has(cronQueue)) return;
    const name = cronQueue.slice(cronPrefix.length);
    const def = defs.get(name);
    if (!def || !working.includes(def.queue)) return;
    forwarders.add(cronQueue);
    await boss.work<{ data: unknown }>(
      cronQueue,
      { batchSize: 1, pollingIntervalSeconds: Math.max(pollSeconds, 1) },
      async ([tick]) => {
        if (tick) await queue.send(name, tick.data?.data ?? null, { key: `cron:${tick.id}` });
      },
    );
  }

  let timer: NodeJS.Timeout | undefined;
  async function housekeeping() {
    for (const s of await boss.getSchedules()) {
      if (s.name.startsWith(cronPrefix)) await startForwarder(s.name);
    }
    // A job whose last attempt ran out of time (or whose process died on it) is failed by pg-boss's
    // maintenance, not by our handler wrapper: copy such jobs into the dead letters too.
    await db.query(
      `insert into job_dead_letters (id, name, queue, data, error, attempts, failed_at)
       select id::text, data->>'name', name, data->'data',
              coalesce(output->>'message', output::text, 'failed'), retry_count + 1, coalesce(completed_on, now())
       from pgboss.job where name = any($1::text[]) and state = 'failed'
       on conflict (id) do nothing`,
      [working],
    );
  }

  const queue: JobQueue = {
    driver: "pg-boss",

    define(def) {
      defs.set(def.name, def as JobDefinition<never>);
    },

    async send(name, data, options?: SendOptions) {
      const def = definition(name);
      const attempts = attemptsOf(def, options);
      const delay = delayOf(options);
      const id = await boss.send(def.queue, { name, data } as object, {
        id: options?.key ? keyId(name, options.key) : undefined,
        priority: priorityOf(options),
        startAfter: delay > 0 ? new Date(Date.now() + delay) : undefined,
        retryLimit: attempts - 1,
        // pg-boss stores the delay in whole seconds (minimum 1 with backoff): 1 s, 2 s, 4 s … plus jitter.
        retryDelay: Math.max(1, Math.round((def.backoffMs ?? defaultBackoffMs) / 1000)),
        retryBackoff: true,
      });
      if (id && delay === 0) wake(def.queue);
      return id;
    },

    async schedule(name, cron, data, options) {
      definition(name);
      const cronQueue = cronPrefix + name;
      await ensureQueue(boss, cronQueue);
      await boss.schedule(cronQueue, cron, { data } as object, { tz: options?.tz ?? "Asia/Shanghai" });
      if (working.length) await startForwarder(cronQueue);
    },

    async unschedule(name) {
      await boss.unschedule(cronPrefix + name);
    },

    async start() {
      if (started) return;
      await boss.start();
      for (const q of queueNames) await ensureQueue(boss, q);
      if (options.recoverActiveOnStart) {
        const rows = await db.query(
          "update pgboss.job set state = 'retry', start_after = now() where state = 'active' returning id",
        );
        if (rows.length)
          log?.warn({ jobs: rows.length }, "jobs cut off by the previous process are retried now");
      }
      started = true;
    },

    async work(workOptions?: WorkOptions) {
      working = workedQueues(workOptions);
      for (const q of working) {
        const ids: string[] = [];
        for (let i = 0; i < concurrencyFor(q, workOptions); i++) {
          let self: string | undefined;
          self = await boss.work<Envelope>(
            q,
            { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: pollSeconds },
            async ([job]) => {
              if (!job) return;
              await run(q, job);
              // pg-boss 10 sleeps a polling interval after every fetch, even a fruitful one;
              // notifying itself makes a busy worker fetch the next job at once.
              if (self) boss.notifyWorker(self);
            },
          );
          ids.push(self);
        }
        localWorkers.set(q, ids);
      }
      await housekeeping();
      // Picks up schedules other processes add later, and failures pg-boss decided on its own.
      timer = setInterval(() => {
        housekeeping().catch((err) => log?.warn({ err }, "job housekeeping failed"));
      }, options.housekeepingMs ?? 30_000);
      timer.unref();
    },

    async stop(graceMs = 10_000) {
      clearInterval(timer);
      localWorkers.clear();
      working = [];
      // pg-boss waits for running handlers up to the timeout, then fails what is still running
      // (it will be retried). Its minimum timeout is 1 s.
      await boss.stop({ graceful: true, timeout: Math.max(1000, graceMs), close: false, wait: true });
      started = false;
    },

    async counts() {
      const result = Object.fromEntries(queueNames.map((q) => [q, emptyCounts()])) as Record<
        QueueName,
        QueueCounts
      >;
      const rows = await db.query<{ name: QueueName; state: string; later: boolean; n: number | string }>(
        `select name, state::text as state, start_after > now() as later, count(*) as n
         from pgboss.job where name = any($1::text[]) group by 1, 2, 3`,
        [[...queueNames]],
      );
      for (const r of rows) {
        const c = result[r.name];
        const n = Number(r.n);
        if (r.state === "created" || r.state === "retry") {
          if (r.later) c.delayed += n;
          else c.waiting += n;
        } else if (r.state === "active") c.active += n;
        else if (r.state === "completed") c.completed += n;
        else if (r.state === "failed") c.failed += n;
      }
      for (const [q, n] of await countDead(db)) {
        if (q in result) result[q as QueueName].dead = n;
      }
      return result;
    },

    deadLetters: (o) => listDead(db, o),

    async retryDead(id) {
      const dead = await takeDead(db, id);
      if (!dead) throw notFound("dead job");
      try {
        await queue.send(dead.name, dead.data);
      } catch (err) {
        await untakeDead(db, id);
        throw err;
      }
    },
  };
  return queue;
}

async function ensureQueue(boss: PgBoss, name: string) {
  try {
    await boss.createQueue(name);
  } catch (err) {
    // Two processes creating the same queue at once: the loser's error is harmless if it exists.
    if (!(await boss.getQueue(name))) throw err;
  }
}

/** pg-boss talks to our connection: PGlite's single one, or the PostgreSQL pool. */
function adapterFor(db: Database): PgBoss.Db {
  const raw = db.raw;
  if (raw.kind === "pglite") {
    const { pglite } = raw;
    return {
      async executeSql(text: string, values?: unknown[]) {
        // Parameterless calls include pg-boss's multi-statement scripts (install, locked
        // maintenance), which only the simple protocol (`exec`) accepts.
        if (!values?.length) {
          const results = await pglite.exec(text);
          return { rows: results.at(-1)?.rows ?? [] };
        }
        const r = await pglite.query(text, values);
        return { rows: r.rows };
      },
    };
  }
  const { pool } = raw;
  return {
    // Returned as is, like pg-boss's own pool does (an array of results for multi-statement scripts).
    executeSql: (text: string, values?: unknown[]) => pool.query(text, values) as Promise<{ rows: never[] }>,
  };
}
