import { DelayedError, type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Database } from "../db/index.ts";
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
 * BullMQ driver (Redis). One BullMQ queue per engine queue; the BullMQ job name is ours, and each
 * engine queue gets one Worker with `concurrency`.
 *
 * - Priority: BullMQ runs 1 first and treats 0 as "no priority" (ahead of all prioritized jobs),
 *   so every job gets `101 - p`: our 100 → 1, 0 → 101, -100 → 201.
 * - Idempotency: a Redis `SET NX` marker per (job name, key), kept for 7 days past the job's
 *   start time (the same window finished jobs are kept). A deterministic `jobId` alone cannot
 *   tell the caller that nothing was added (BullMQ returns the existing job), hence the marker;
 *   the job id is still the key's, so a marker whose job never got added (the sender died in
 *   between) is noticed on the next send with that key, which adds the job then.
 * - `sendMany`: one MULTI of `SET NX` markers, then one `addBulk` per engine queue.
 * - Dead letters: the last failed attempt is written to the SQL table both drivers share.
 * - `RetryLater`: `job.moveToDelayed` (which skips the attempt count) and `DelayedError`.
 * - A worker that dies mid-job: its lock lapses (`lockMs`, default 30 s; 10 s on the realtime
 *   queue, checked every 5 s, as a welcome code lives 20 s; others checked every 10 s) and the
 *   stalled-job check moves the job back to waiting. A lock lost to a blocked event loop runs the
 *   job twice, which the handlers' stored steps make harmless.
 */
export interface BullQueueOptions {
  redisUrl: string;
  db: Database;
  log?: Logger;
  /** Key prefix; tests use `siyu-test-<random>` to isolate themselves. Default `siyu`. */
  prefix?: string;
  /** How long a running job's lock lasts before the job counts as stalled. Default 30 s (realtime 10 s). */
  lockMs?: number;
}

export function createBullQueue(options: BullQueueOptions): JobQueue {
  const { db, log } = options;
  const prefix = options.prefix ?? "siyu";
  const defs = new Map<string, JobDefinition<never>>();
  const queues = new Map<QueueName, Queue>();
  const workers: Worker[] = [];
  let redis: Redis | undefined;

  function connection(): Redis {
    redis ??= new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    return redis;
  }

  function definition(name: string): JobDefinition<never> {
    const def = defs.get(name);
    if (!def) throw new AppError("internal_error", `job ${name} is not defined`);
    return def;
  }

  function queueOf(name: QueueName): Queue {
    const q = queues.get(name);
    if (!q) throw new AppError("internal_error", "job queue not started");
    return q;
  }

  async function run(queue: QueueName, job: Job, token: string | undefined): Promise<void> {
    const attempt = job.attemptsMade + 1;
    // Every start counts in `attemptsStarted`; those not explained by a failed attempt or a stall
    // came after a deferral.
    const deferrals = Math.max(0, job.attemptsStarted - 1 - job.attemptsMade - job.stalledCounter);
    const def = defs.get(job.name);
    try {
      if (!def) throw new Error(`no handler defined for job ${job.name} in this process`);
      await def.handler(job.data as never, { id: String(job.id), name: job.name, queue, attempt, deferrals });
    } catch (err) {
      const delayMs = deferralOf(err, def, deferrals);
      if (delayMs !== null) {
        // Back to the delayed set without counting an attempt (`skipAttempt`); DelayedError tells
        // the worker the job was moved, not failed.
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
      if (attempt >= (job.opts.attempts ?? 1)) {
        await recordDead(db, {
          // The timestamp keeps ids unique should Redis be emptied while SQL keeps its rows.
          id: `${queue}-${job.id}-${job.timestamp}`,
          name: job.name,
          queue,
          data: job.data,
          error: errorText(err),
          attempts: attempt,
        });
      }
      log?.warn({ err, job: job.name, id: job.id, attempt }, "job failed");
      throw err;
    }
  }

  const jobQueue: JobQueue = {
    driver: "bullmq",

    define(def) {
      defs.set(def.name, def as JobDefinition<never>);
    },

    async send(name, data, options?: SendOptions) {
      const [id] = await jobQueue.sendMany([{ name, data, options }]);
      return id ?? null;
    },

    async sendMany(jobs: ReadonlyArray<JobToSend>) {
      if (!jobs.length) return [];
      const redis = connection();
      const planned = jobs.map(({ name, data, options }) => {
        const def = definition(name);
        const delay = delayOf(options);
        const jobId = options?.key ? keyId(name, options.key) : undefined;
        return {
          def,
          name,
          data,
          jobId,
          marker: jobId ? `${prefix}:idem:${jobId}` : undefined,
          opts: {
            jobId,
            delay: delay || undefined,
            priority: 101 - priorityOf(options),
            attempts: attemptsOf(def, options),
            backoff: { type: "exponential", delay: def.backoffMs ?? defaultBackoffMs },
            removeOnComplete: { age: keepFinishedSeconds },
            removeOnFail: { age: keepFinishedSeconds },
          },
          ttl: delay + keepFinishedSeconds * 1000,
        };
      });
      // Claim every key in one round trip; within the call the first job with a key wins.
      const keyed = planned.filter((p) => p.marker);
      const claims = keyed.length
        ? await keyed.reduce((m, p) => m.set(p.marker ?? "", "1", "PX", p.ttl, "NX"), redis.multi()).exec()
        : [];
      const claimed = new Set<string>();
      const refused: typeof planned = [];
      let failure: unknown;
      keyed.forEach((p, i) => {
        const [err, reply] = claims?.[i] ?? [null, null];
        failure ??= err ?? undefined;
        if (reply === "OK") claimed.add(p.marker ?? "");
        else refused.push(p);
      });
      if (failure || !claims) {
        if (claimed.size) await redis.del(...claimed).catch(() => undefined);
        throw failure ?? new Error("claiming idempotency keys failed");
      }
      // A marker without its job: a sender died between claiming the key and adding the job. The job
      // id is the key's, so re-adding is harmless (BullMQ keeps one job per id); do it.
      const orphans = new Set<string>();
      for (const p of refused) {
        if (orphans.has(p.marker ?? "") || claimed.has(p.marker ?? "")) continue;
        const existing = await queueOf(p.def.queue).getJob(p.jobId ?? "");
        if (!existing) orphans.add(p.marker ?? "");
      }
      const taken = new Set<string>();
      const toAdd = planned.filter((p) => {
        if (!p.marker) return true;
        if (taken.has(p.marker) || !(claimed.has(p.marker) || orphans.has(p.marker))) return false;
        taken.add(p.marker);
        return true;
      });
      const added = new Map<(typeof planned)[number], string>();
      try {
        const byQueue = new Map<QueueName, typeof toAdd>();
        for (const p of toAdd) byQueue.set(p.def.queue, [...(byQueue.get(p.def.queue) ?? []), p]);
        for (const [q, list] of byQueue) {
          const result = await queueOf(q).addBulk(
            list.map((p) => ({ name: p.name, data: p.data, opts: p.opts })),
          );
          result.forEach((job, i) => {
            const p = list[i];
            if (p) added.set(p, String(job.id));
          });
        }
      } catch (err) {
        // Unclaim the keys of this call so a retry is not refused; jobs already added keep theirs.
        const undo = toAdd.filter((p) => p.marker && claimed.has(p.marker) && !added.has(p));
        if (undo.length) await redis.del(...undo.map((p) => p.marker ?? "")).catch(() => undefined);
        throw err;
      }
      return planned.map((p) => added.get(p) ?? null);
    },

    async promote(name, key) {
      const job = await queueOf(definition(name).queue).getJob(keyId(name, key));
      if (!job || !(await job.isDelayed())) return false;
      try {
        await job.promote();
        return true;
      } catch (err) {
        // It left the delayed set meanwhile (its time came, or another process promoted it).
        if (await job.isDelayed()) throw err;
        return false;
      }
    },

    async schedule(name, cron, data, options) {
      const def = definition(name);
      // The scheduler id is the job name: every process upserting it converges on one scheduler.
      await queueOf(def.queue).upsertJobScheduler(
        name,
        { pattern: cron, tz: options?.tz ?? "Asia/Shanghai" },
        {
          name,
          data,
          opts: {
            attempts: attemptsOf(def, undefined),
            backoff: { type: "exponential", delay: def.backoffMs ?? defaultBackoffMs },
            removeOnComplete: { age: keepFinishedSeconds },
            removeOnFail: { age: keepFinishedSeconds },
          },
        },
      );
    },

    async unschedule(name) {
      await queueOf(definition(name).queue).removeJobScheduler(name);
    },

    async start() {
      if (queues.size) return;
      for (const q of queueNames) queues.set(q, new Queue(q, { connection: connection(), prefix }));
      await Promise.all([...queues.values()].map((q) => q.waitUntilReady()));
    },

    async work(workOptions?: WorkOptions) {
      for (const q of workedQueues(workOptions)) {
        const worker = new Worker(q, (job, token) => run(q, job, token), {
          connection: connection(),
          prefix,
          concurrency: concurrencyFor(q, workOptions),
          lockDuration: options.lockMs ?? (q === "realtime" ? 10_000 : 30_000),
          stalledInterval: q === "realtime" ? 5_000 : 10_000,
          // A job whose worker keeps dying is retried a few times, not failed on the first stall.
          maxStalledCount: 3,
        });
        worker.on("error", (err) => log?.warn({ err, queue: q }, "bullmq worker error"));
        // A job failed for stalling too often never reached our handler's catch: record it here.
        worker.on("failed", (job, err) => {
          if (!job || !/stalled/i.test(err.message)) return;
          recordDead(db, {
            id: `${q}-${job.id}-${job.timestamp}`,
            name: job.name,
            queue: q,
            data: job.data,
            error: errorText(err),
            attempts: job.attemptsStarted,
          }).catch((e) => log?.warn({ err: e }, "recording a stalled dead job failed"));
        });
        workers.push(worker);
        await worker.waitUntilReady();
      }
    },

    async stop(graceMs = 10_000) {
      const closing = workers.splice(0);
      let timer: NodeJS.Timeout | undefined;
      const graceful = Promise.all(closing.map((w) => w.close())).then(() => true);
      const timeout = new Promise<false>((r) => {
        timer = setTimeout(() => r(false), graceMs);
      });
      const clean = await Promise.race([graceful, timeout]);
      clearTimeout(timer);
      // Past the grace period, abandon running jobs: their locks lapse and they run again.
      if (!clean) await Promise.all(closing.map((w) => w.close(true)));
      await Promise.all([...queues.values()].map((q) => q.close()));
      queues.clear();
      if (redis) {
        await redis.quit().catch(() => undefined);
        redis = undefined;
      }
    },

    async counts() {
      const result = Object.fromEntries(queueNames.map((q) => [q, emptyCounts()])) as Record<
        QueueName,
        QueueCounts
      >;
      for (const name of queueNames) {
        const c = await queueOf(name).getJobCounts(
          "wait",
          "prioritized",
          "delayed",
          "active",
          "completed",
          "failed",
        );
        result[name] = {
          waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
          delayed: c.delayed ?? 0,
          active: c.active ?? 0,
          completed: c.completed ?? 0,
          failed: c.failed ?? 0,
          dead: 0,
        };
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
        await jobQueue.send(dead.name, dead.data);
      } catch (err) {
        await untakeDead(db, id);
        throw err;
      }
    },
  };
  return jobQueue;
}
