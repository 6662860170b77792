import type { Database } from "../db/index.ts";
import type { DeadJob, QueueName } from "./jobs.ts";

/** Dead letters live in SQL for both drivers (`job_dead_letters`), so they share one shape. */
export interface DeadRecord {
  id: string;
  name: string;
  queue: QueueName;
  data: unknown;
  error: string;
  attempts: number;
}

/** Records a job that failed its last attempt; recording the same job twice keeps the first. */
export async function recordDead(db: Database, dead: DeadRecord): Promise<void> {
  await db.query(
    `insert into job_dead_letters (id, name, queue, data, error, attempts)
     values ($1, $2, $3, $4::jsonb, $5, $6) on conflict (id) do nothing`,
    [dead.id, dead.name, dead.queue, JSON.stringify(dead.data ?? null), dead.error, dead.attempts],
  );
}

interface DeadRow {
  id: string;
  name: string;
  queue: QueueName;
  data: unknown;
  error: string;
  attempts: number;
  failed_at: Date | string;
}

export async function listDead(
  db: Database,
  options: { queue?: QueueName; limit?: number } = {},
): Promise<DeadJob[]> {
  const rows = await db.query<DeadRow>(
    `select id, name, queue, data, error, attempts, failed_at from job_dead_letters
     where retried_at is null and ($1::text is null or queue = $1)
     order by failed_at desc, id limit $2`,
    [options.queue ?? null, Math.min(Math.max(options.limit ?? 100, 1), 1000)],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    queue: r.queue,
    data: r.data,
    error: r.error,
    attempts: r.attempts,
    failedAt: new Date(r.failed_at).toISOString(),
  }));
}

/** Marks a dead job as retried and returns it; null when unknown or already retried. */
export async function takeDead(db: Database, id: string): Promise<DeadRecord | null> {
  const rows = await db.query<DeadRow>(
    `update job_dead_letters set retried_at = now() where id = $1 and retried_at is null
     returning id, name, queue, data, error, attempts, failed_at`,
    [id],
  );
  const r = rows[0];
  return r
    ? { id: r.id, name: r.name, queue: r.queue, data: r.data, error: r.error, attempts: r.attempts }
    : null;
}

/** Undoes `takeDead` when re-enqueueing failed, so the dead job is not lost from view. */
export async function untakeDead(db: Database, id: string): Promise<void> {
  await db.query("update job_dead_letters set retried_at = null where id = $1", [id]);
}

export async function countDead(db: Database): Promise<Map<string, number>> {
  const rows = await db.query<{ queue: string; n: number | string }>(
    "select queue, count(*) as n from job_dead_letters where retried_at is null group by queue",
  );
  return new Map(rows.map((r) => [r.queue, Number(r.n)]));
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
