/**
 * The job queue: one interface, two drivers (pg-boss for embedded PGlite and plain PostgreSQL;
 * BullMQ for Redis), both proven by `jobs.contract.ts`.
 *
 * Required behaviour of every driver:
 * - At-least-once: a job whose handler throws, or whose process dies mid-run, runs again.
 *   Handlers make their effects idempotent (see events' processed-event records, `runStep`).
 * - Durable: a job sent (including one delayed by an hour) survives a restart of every process.
 * - Delayed (`delayMs` / `runAt`), repeating (`schedule`, cron in a time zone; firing once per
 *   tick however many processes call `schedule` and run workers), priority (higher first within
 *   a queue), per-queue concurrency (a cap per process), retries with exponential backoff, then
 *   dead letter (kept, listable, and counted in `counts()`).
 * - Waiting is not failing: a handler that throws `RetryLater` (or a subclass) runs again after the
 *   delay it asks for (capped at a minute), not after the backoff, and the run costs no attempt
 *   (`ctx.attempt` stays, `ctx.deferrals` counts up). A job is put off at most `maxDeferrals` times
 *   in its life; past that a `RetryLater` is an ordinary failure (an attempt, backoff, at last the
 *   dead letter), so a job that waits for something that never comes still ends.
 * - Idempotency key: a second `send` with the same `key` while the first job exists (queued,
 *   running, completed or dead) creates nothing and returns `null`. `sendMany` keeps the same rule
 *   per job, also between two jobs of one call (the first wins).
 * - Queues are named by engine so a deployment can give each its own workers.
 */

export const queueNames = ["realtime", "sync", "automation", "outbound", "reports", "system"] as const;
export type QueueName = (typeof queueNames)[number];

/**
 * Thrown by a handler that cannot run yet but is not failing (an earlier event of its aggregate is
 * still being processed): the job runs again after `delayMs`, without using an attempt.
 */
export class RetryLater extends Error {
  readonly delayMs: number;
  constructor(delayMs: number, message = `retry in ${delayMs} ms`) {
    super(message);
    this.name = "RetryLater";
    this.delayMs = delayMs;
  }
}

export interface SendOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** Run no earlier than this time (wins over delayMs). */
  runAt?: Date;
  /** Higher runs first among ready jobs of the same queue. Default 0; range -100..100. */
  priority?: number;
  /** Idempotency key: unique per job name. */
  key?: string;
  /** Attempts in all (first run included). Defaults to the definition's, else 5. */
  attempts?: number;
}

/** One job of a `sendMany` call. */
export interface JobToSend<T = unknown> {
  name: string;
  data: T;
  options?: SendOptions;
}

export interface JobContext {
  id: string;
  name: string;
  queue: QueueName;
  /** 1 on the first run; a run after a `RetryLater` keeps the attempt it had. */
  attempt: number;
  /** How often this job was put off by `RetryLater` so far (0 on the first run). */
  deferrals: number;
}

export interface JobDefinition<T = unknown> {
  /** Unique job name, e.g. `events.deliver`, `wecom.send-welcome`. */
  name: string;
  queue: QueueName;
  handler: (data: T, ctx: JobContext) => Promise<void>;
  /** Attempts in all before dead letter. Default 5. */
  attempts?: number;
  /** Base of the exponential backoff between attempts, in ms. Default 1000. */
  backoffMs?: number;
  /** Times a job may be put off by `RetryLater` before that counts as a failure. Default 50. */
  maxDeferrals?: number;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
  dead: number;
}

export interface DeadJob {
  id: string;
  name: string;
  queue: QueueName;
  data: unknown;
  error: string;
  attempts: number;
  failedAt: string;
}

export interface WorkOptions {
  /** Jobs run at once per queue in this process. Default 1 for reports, 4 otherwise. */
  concurrency?: Partial<Record<QueueName, number>>;
  /** Only these queues (a deployment can split engines across workers). Default all. */
  queues?: QueueName[];
}

export interface JobQueue {
  readonly driver: "pg-boss" | "bullmq";
  /** Registers a job type. Every process defines every job (senders need the queue). */
  define<T>(def: JobDefinition<T>): void;
  /** Enqueues; returns the job id, or null when `key` matched an existing job. */
  send<T>(name: string, data: T, options?: SendOptions): Promise<string | null>;
  /**
   * Enqueues many jobs in one round trip to the store (one INSERT for pg-boss, one `addBulk` for
   * BullMQ); returns, in order, each job's id or null when its `key` matched an existing job or an
   * earlier job of the same call. When it throws, calling it again is safe for keyed jobs: one
   * already enqueued is not enqueued twice (pg-boss enqueues all or none; BullMQ adds per queue).
   */
  sendMany(jobs: ReadonlyArray<JobToSend>): Promise<Array<string | null>>;
  /**
   * Makes the job sent with this idempotency key due now when it waits for a later time (sent with
   * a delay, put off by `RetryLater`, or backing off after a failure), e.g. because what it waited
   * for just happened. Returns whether it did: false for a job that is ready, running, finished or
   * unknown. Its attempts and deferrals stay as they were.
   */
  promote(name: string, key: string): Promise<boolean>;
  /** Repeating job by cron (5 fields) in `tz` (default Asia/Shanghai). Idempotent across processes. */
  schedule<T>(name: string, cron: string, data: T, options?: { tz?: string }): Promise<void>;
  unschedule(name: string): Promise<void>;
  /** Starts sending (all processes) — must be called before send. */
  start(): Promise<void>;
  /** Starts consuming (worker processes only). */
  work(options?: WorkOptions): Promise<void>;
  /** Stops consuming and closes; waits for running handlers up to `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  counts(): Promise<Record<QueueName, QueueCounts>>;
  deadLetters(options?: { queue?: QueueName; limit?: number }): Promise<DeadJob[]>;
  /** Re-enqueues a dead job. */
  retryDead(id: string): Promise<void>;
}
