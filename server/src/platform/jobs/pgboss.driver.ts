import { randomUUID } from "node:crypto";
import PgBoss from "pg-boss";
import { type Database, inBackground } from "../db/index.ts";
import { AppError, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  attemptsOf,
  concurrencyFor,
  defaultBackoffMs,
  deferralOf,
  delayOf,
  emptyCounts,
  keepFinishedSeconds,
  keyId,
  priorityOf,
  workedQueues,
} from "./common.ts";
import { countDead, errorText, listDead, recordDead, takeDead, untakeDead } from "./dead-letters.ts";
import type {
  JobDefinition,
  JobQueue,
  JobToSend,
  QueueCounts,
  QueueName,
  SendOptions,
  WorkOptions,
} from "./jobs.ts";
import { queueNames } from "./jobs.ts";

/**
 * pg-boss driver (PGlite and PostgreSQL).
 *
 * One pg-boss queue per *engine* queue (`realtime`, `sync`, …) carrying `{ name, data }`, not one
 * per job name: priority then orders every job of an engine queue in one `ORDER BY priority desc`,
 * and counts are one partition each.
 *
 * Consuming: one fetch loop per engine queue (not pg-boss's `work`, whose workers each fetch a batch
 * and finish it whole before fetching again, then sleep a polling interval). The loop fetches as
 * many jobs as it has free slots (`concurrency` minus running jobs), starts each, and completes or
 * fails each one on its own as it ends; it fetches again as soon as a slot is free while the last
 * fetch filled every slot, else sleeps `pollMs` unless a `send` in this process wakes it. Only jobs
 * about to run are fetched (never a backlog held in memory), so `active` rows are running handlers.
 *
 * Sending: `send` and `sendMany` are one INSERT of our own into `pgboss.job` (`ON CONFLICT DO
 * NOTHING RETURNING id`), the row pg-boss's `send` writes. pg-boss 10.4's own `insert()` honours ids
 * and `ON CONFLICT DO NOTHING` but returns no ids, so it cannot say which keys were duplicates. Rows
 * of one call get `created_on` one microsecond apart so they run in the order given.
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
  /**
   * Shorter active timeouts for some queues. The realtime queue's jobs (callback processing, welcome
   * messages) finish in seconds; a job of theirs cut off by kill -9 on PostgreSQL — where no process
   * can tell another's jobs from its own at start — should run again within minutes, not fifteen.
   * Default `{ realtime: 120 }`.
   */
  queueActiveTimeoutSec?: Partial<Record<QueueName, number>>;
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
  /** Times the job was put off by `RetryLater` (absent until the first time). */
  deferrals?: number;
}

type FetchedJob = PgBoss.JobWithMetadata<Envelope>;

/** The consumer of one engine queue in this process. */
interface Lane {
  queue: QueueName;
  concurrency: number;
  /** Running jobs by id; each promise settles once the job is completed or failed. */
  running: Map<string, Promise<void>>;
  /** Jobs `stop` gave up waiting for (and failed): their late outcome is not recorded. */
  abandoned: Set<string>;
  stopping: boolean;
  /** Set by `wake` while the loop is not sleeping, so a wake-up during a fetch is not lost. */
  woken: boolean;
  /** Ends the loop's current sleep (polling interval or waiting for a free slot). */
  interrupt?: () => void;
  loop?: Promise<void>;
}

const cronPrefix = "siyu-cron.";

/** The same retention pg-boss's `send` gives a job row (the queues have no retention of their own). */
const keepUntilDefault = "14 days";

export function createPgBossQueue(options: PgBossQueueOptions): JobQueue {
  const { db, log } = options;
  const pollSeconds = Math.max(0.5, (options.pollMs ?? 500) / 1000);
  const activeTimeoutSec = options.activeTimeoutSec ?? 15 * 60;
  const queueTimeouts = options.queueActiveTimeoutSec ?? { realtime: 120 };
  const defs = new Map<string, JobDefinition<never>>();
  const lanes = new Map<QueueName, Lane>();
  const forwarders = new Set<string>();
  let working: QueueName[] = [];
  let started = false;
  // Rows sent since the engine queues' statistics were last refreshed (see `refreshStats`).
  let sentSinceStats = 0;
  let statsAt = 0;
  let statsRun: Promise<void> | undefined;

  const boss = new PgBoss({
    db: adapterFor(db),
    schema: "pgboss",
    supervise: true,
    schedule: true,
    migrate: true,
    maintenanceIntervalSeconds: options.maintenanceSec ?? 60,
    cronMonitorIntervalSeconds: options.cronCheckSec ?? 10,
    cronWorkerIntervalSeconds: Math.max(1, Math.min(options.cronCheckSec ?? 5, 5)),
    expireInSeconds: activeTimeoutSec,
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
    const lane = lanes.get(queue);
    if (!lane) return;
    lane.woken = true;
    lane.interrupt?.();
  }

  /** Waits until `ms` pass, a slot frees (`slots`), or the lane is woken or stopped. */
  function pause(lane: Lane, ms: number | null, slots?: Iterable<Promise<void>>): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        lane.interrupt = undefined;
        resolve();
      };
      lane.interrupt = done;
      if (ms !== null) timer = setTimeout(done, ms);
      if (slots) for (const p of slots) p.then(done, done);
    });
  }

  /** Runs one fetched job to its end: completed, or failed (retried later, or dead). */
  async function execute(lane: Lane, job: FetchedJob): Promise<void> {
    const { queue } = lane;
    const { name, data } = job.data;
    const attempt = job.retryCount + 1;
    const deferrals = job.data.deferrals ?? 0;
    const def = defs.get(name);
    let error: unknown;
    let failed = false;
    try {
      if (!def) throw new Error(`no handler defined for job ${name} in this process`);
      // The active timeout is also the handler timeout: past it the job counts as lost anyway.
      await withinSeconds(
        def.handler(data as never, { id: job.id, name, queue, attempt, deferrals }),
        Number(job.expireInSeconds) || activeTimeoutSec,
      );
    } catch (err) {
      failed = true;
      error = err;
    }
    if (lane.abandoned.delete(job.id)) return;
    try {
      if (!failed) {
        await boss.complete(queue, job.id);
        return;
      }
      const delayMs = deferralOf(error, def, deferrals);
      if (delayMs !== null) {
        await defer(queue, job.id, delayMs, deferrals + 1);
        return;
      }
      if (attempt > job.retryLimit) {
        await recordDead(db, { id: job.id, name, queue, data, error: errorText(error), attempts: attempt });
      }
      log?.warn({ err: error, job: name, id: job.id, attempt }, "job failed");
      await boss.fail(queue, job.id, { message: error instanceof Error ? error.message : String(error) });
    } catch (err) {
      // The row stays active: the active timeout (or the next start on PGlite) hands it back.
      log?.warn({ err, job: name, id: job.id }, "recording a job's outcome failed; it will run again");
    }
  }

  function launch(lane: Lane, job: FetchedJob) {
    const done = execute(lane, job).finally(() => {
      lane.running.delete(job.id);
    });
    lane.running.set(job.id, done);
  }

  async function fetchLoop(lane: Lane): Promise<void> {
    while (!lane.stopping) {
      const free = lane.concurrency - lane.running.size;
      if (free <= 0) {
        await pause(lane, null, lane.running.values());
        continue;
      }
      lane.woken = false;
      let jobs: FetchedJob[] = [];
      try {
        jobs = await boss.fetch<Envelope>(lane.queue, { batchSize: free, includeMetadata: true });
      } catch (err) {
        log?.warn({ err, queue: lane.queue }, "fetching jobs failed");
      }
      if (lane.stopping) {
        // Fetched as `stop` began: hand them straight back untouched, as if never fetched.
        if (jobs.length)
          await release(
            lane.queue,
            jobs.map((j) => j.id),
          );
        break;
      }
      for (const job of jobs) launch(lane, job);
      // A full batch means more may be waiting: fetch again as soon as a slot frees. A short one
      // means the queue was drained: poll later, unless a local send came in meanwhile.
      if (jobs.length === free || lane.woken) continue;
      await pause(lane, pollSeconds * 1000);
    }
  }

  /**
   * Keeps the planner's row counts of the engine queues fresh, so it fetches through the
   * `job_fetch_order` index (reading `batchSize` rows) rather than sorting every ready job of the
   * queue on each fetch, which makes a backlog of N jobs cost O(N²). PGlite has no autovacuum, and
   * PostgreSQL's reacts within a minute: a burst is drained before it would. Runs in the background
   * once 1000 jobs were sent since the last time, at most every 5 s.
   */
  function refreshStats() {
    if (statsRun || sentSinceStats < 1000 || Date.now() - statsAt < 5_000) return;
    sentSinceStats = 0;
    statsAt = Date.now();
    statsRun = (async () => {
      const partitions = await db.query<{ partition_name: string }>(
        "select partition_name from pgboss.queue where name = any($1::text[])",
        [[...queueNames]],
      );
      for (const { partition_name } of partitions) {
        if (/^[a-z0-9_]+$/.test(partition_name)) await db.query(`analyze pgboss.${partition_name}`);
      }
    })()
      .catch((err) => log?.warn({ err }, "refreshing job queue statistics failed"))
      .finally(() => {
        statsRun = undefined;
      });
  }

  /**
   * Puts a running job back to run again in `delayMs`, as `release` does (no attempt used: the
   * fetch counts a retry only when `started_on` is set), and counts the deferral in its envelope.
   * pg-boss 10.4's `fail` always takes an attempt and waits its backoff, hence our own update.
   */
  async function defer(queue: QueueName, id: string, delayMs: number, deferrals: number) {
    await db.query(
      `update pgboss.job
       set state = case when retry_count > 0 then 'retry'::pgboss.job_state else 'created'::pgboss.job_state end,
           started_on = null,
           start_after = now() + $3::int * interval '1 millisecond',
           data = jsonb_set(data, '{deferrals}', to_jsonb($4::int))
       where name = $1 and id = $2 and state = 'active'`,
      [queue, id, delayMs, deferrals],
    );
    // Fetch it when due rather than at the next poll, which may be later.
    setTimeout(() => wake(queue), delayMs + 5).unref();
  }

  /** Puts fetched jobs that never started back as they were (same attempt count). */
  async function release(queue: QueueName, ids: string[]) {
    try {
      // The fetch counted a retry only when `started_on` was set; clearing it undoes that.
      await db.query(
        `update pgboss.job
         set state = case when retry_count > 0 then 'retry'::pgboss.job_state else 'created'::pgboss.job_state end,
             started_on = null
         where name = $1 and id = any($2::uuid[]) and state = 'active'`,
        [queue, ids],
      );
    } catch (err) {
      log?.warn({ err, queue }, "releasing fetched jobs failed; the active timeout hands them back");
    }
  }

  async function stopLanes(graceMs: number) {
    const all = [...lanes.values()];
    lanes.clear();
    for (const lane of all) {
      lane.stopping = true;
      lane.interrupt?.();
    }
    await Promise.all(all.map((lane) => lane.loop));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, graceMs);
    });
    await Promise.race([Promise.all(all.flatMap((lane) => [...lane.running.values()])), grace]);
    clearTimeout(timer);
    // Past the grace period: fail what still runs, so it is retried (as pg-boss's own stop does).
    for (const lane of all) {
      const ids = [...lane.running.keys()];
      if (!ids.length) continue;
      for (const id of ids) {
        lane.abandoned.add(id);
        await boss
          .fail(lane.queue, id, { message: "job queue stopped while the job was running" })
          .catch((err) => log?.warn({ err }, "failing a job cut off by stop failed"));
      }
    }
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
      const [id] = await queue.sendMany([{ name, data, options }]);
      return id ?? null;
    },

    async sendMany(jobs: ReadonlyArray<JobToSend>) {
      if (!jobs.length) return [];
      const now = Date.now();
      const seen = new Set<string>();
      const rows: InsertRow[] = [];
      const ids: Array<string | null> = jobs.map(({ name, data, options }) => {
        const def = definition(name);
        const id = options?.key ? keyId(name, options.key) : randomUUID();
        // A key repeated within the call: the first job wins, as with two sends.
        if (seen.has(id)) return null;
        seen.add(id);
        const delay = delayOf(options);
        rows.push({
          id,
          queue: def.queue,
          data: { name, data },
          priority: priorityOf(options),
          start_after: delay > 0 ? new Date(now + delay).toISOString() : null,
          retry_limit: attemptsOf(def, options) - 1,
          // Whole seconds (minimum 1 with backoff): 1 s, 2 s, 4 s … plus jitter.
          retry_delay: Math.max(1, Math.round((def.backoffMs ?? defaultBackoffMs) / 1000)),
          ord: rows.length,
        });
        return id;
      });
      const inserted = await db.query<{ id: string }>(insertJobsSql, [
        JSON.stringify(rows),
        activeTimeoutSec,
        keepUntilDefault,
      ]);
      const created = new Set(inserted.map((r) => r.id));
      sentSinceStats += created.size;
      refreshStats();
      const woken = new Set<QueueName>();
      for (const row of rows) {
        if (created.has(row.id) && row.start_after === null) woken.add(row.queue);
      }
      for (const q of woken) wake(q);
      return ids.map((id) => (id && created.has(id) ? id : null));
    },

    async promote(name, key) {
      const { queue: q } = definition(name);
      const rows = await db.query(
        `update pgboss.job set start_after = now() - interval '1 millisecond'
         where name = $1 and id = $2 and state < 'active' and start_after > now() returning id`,
        [q, keyId(name, key)],
      );
      if (rows.length) wake(q);
      return rows.length > 0;
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
      for (const q of queueNames) {
        await ensureQueue(boss, q);
        // The queue's own expiry wins over the default in the job insert (insertJobsSql).
        const expire = queueTimeouts[q];
        if (expire !== undefined) await boss.updateQueue(q, { name: q, expireInSeconds: expire });
      }
      await ensureFetchIndex(db);
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
        if (lanes.has(q)) continue;
        const lane: Lane = {
          queue: q,
          concurrency: concurrencyFor(q, workOptions),
          running: new Map(),
          abandoned: new Set(),
          stopping: false,
          woken: false,
        };
        lanes.set(q, lane);
        lane.loop = inBackground(() => fetchLoop(lane)).catch((err) =>
          log?.error({ err, queue: q }, "job fetch loop died"),
        );
      }
      await housekeeping();
      // Picks up schedules other processes add later, and failures pg-boss decided on its own.
      timer = setInterval(() => {
        inBackground(housekeeping).catch((err) => log?.warn({ err }, "job housekeeping failed"));
      }, options.housekeepingMs ?? 30_000);
      timer.unref();
    },

    async stop(graceMs = 10_000) {
      clearInterval(timer);
      working = [];
      const stopping = Date.now();
      await stopLanes(graceMs);
      await statsRun;
      // Then pg-boss itself (cron forwarders, maintenance, timekeeper), with what is left of the
      // grace period; its minimum is 1 s.
      const left = graceMs - (Date.now() - stopping);
      await boss.stop({ graceful: true, timeout: Math.max(1000, left), close: false, wait: true });
      forwarders.clear();
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

/**
 * An index in the order pg-boss fetches (`priority desc, created_on, id` among ready jobs). pg-boss
 * 10.4's own (`name, start_after`) makes every fetch sort all ready jobs of the queue. Created on
 * the parent table, so every queue's partition has it (those created later too).
 */
async function ensureFetchIndex(db: Database) {
  const exists = async () =>
    (
      await db.query(
        "select 1 from pg_indexes where schemaname = 'pgboss' and tablename = 'job' and indexname = 'job_fetch_order'",
      )
    ).length > 0;
  if (await exists()) return;
  try {
    await db.query(
      "create index if not exists job_fetch_order on pgboss.job (name, priority desc, created_on, id) where state < 'active'",
    );
  } catch (err) {
    // Two processes starting at once: the loser's error is harmless if the index exists.
    if (!(await exists())) throw err;
  }
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

/** One job row for `insertJobsSql`, sent as JSON. */
interface InsertRow {
  id: string;
  queue: QueueName;
  data: Envelope;
  priority: number;
  /** ISO time, or null for now. */
  start_after: string | null;
  retry_limit: number;
  retry_delay: number;
  /** Position in the call: rows run in the order they were given. */
  ord: number;
}

/**
 * The row pg-boss 10.4's `send` writes (its `insertJob` plan with our options: exponential backoff,
 * no singleton, the queue's policy and dead letter), for many jobs at once, returning the ids that
 * were new. $1: rows as JSON; $2: active timeout in seconds; $3: retention of a row not yet finished.
 */
const insertJobsSql = `
  insert into pgboss.job (
    id, name, data, priority, start_after, created_on, expire_in, keep_until,
    retry_limit, retry_delay, retry_backoff, dead_letter, policy
  )
  select j.id, j.queue, j.data, j.priority,
    -- An immediate job is ready at once: PGlite's clock ticks in milliseconds, so "now()" here can
    -- equal the "now()" of a fetch that follows within the same millisecond, which would skip it.
    coalesce(j.start_after, now() - interval '1 millisecond'),
    now() + j.ord * interval '1 microsecond',
    coalesce(q.expire_seconds, $2::int) * interval '1s',
    coalesce(j.start_after, now()) + cast(coalesce((q.retention_minutes * 60)::text, $3::text) as interval),
    j.retry_limit, greatest(j.retry_delay, 1), true, q.dead_letter, q.policy
  from json_to_recordset($1::json) as j (
    id uuid, queue text, data jsonb, priority int, start_after timestamptz,
    retry_limit int, retry_delay int, ord int
  )
  join pgboss.queue q on q.name = j.queue
  order by j.ord
  on conflict do nothing
  returning id`;

/** Settles like `work`, or rejects once `seconds` pass (the work itself cannot be cancelled). */
function withinSeconds<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const ms = Math.round(seconds * 1000);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`handler execution exceeded ${ms}ms`)), ms);
  });
  // A late rejection of abandoned work must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
