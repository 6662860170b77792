import type { Scope } from "../../platform/db/index.ts";
import type { Platform } from "../../platform/platform.ts";
import { failureText, tableName } from "./table-name.ts";

/** Counters a run reports as it goes (followers applied, contacts, groups repaired …). */
export type SyncProgress = Record<string, number>;

/**
 * A sync run's row as both engines keep it (the engine's own columns come on top). `cursor` is the
 * engine's resumable state: each page's effects and the cursor after it commit in one transaction,
 * so a run that restarts (crash, platform error, retry) continues after the last page it applied.
 */
export interface SyncRunRow<Cursor> {
  id: string;
  kind: string;
  status: "queued" | "running" | "completed" | "failed";
  cursor: Cursor;
  progress: SyncProgress;
  attempts: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The run's DTO fields; `extra` (the engine's own) follows the id. */
export function syncRunDto<Extra extends object>(r: SyncRunRow<unknown>, step: string | null, extra: Extra) {
  return {
    id: r.id,
    ...extra,
    kind: r.kind,
    status: r.status,
    progress: r.progress,
    step,
    attempts: r.attempts,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/** Reads and checkpoints of an engine's runs table. */
export function syncRunStore<Row extends SyncRunRow<unknown>>(table: string) {
  const t = tableName(table);
  return {
    /** Newest first. */
    list: (scope: Scope, limit: number) =>
      scope.query<Row>(`select * from ${t} order by created_at desc, id desc limit $1`, [limit]),
    get: async (scope: Scope, id: string): Promise<Row | undefined> =>
      (await scope.query<Row>(`select * from ${t} where id = $1`, [id]))[0],
    /** The checkpoint: the cursor after what this transaction applied, and the counters with it. */
    async save(scope: Scope, runId: string, cursor: Row["cursor"], progress: SyncProgress): Promise<void> {
      await scope.query(`update ${t} set cursor = $2, progress = $3, updated_at = now() where id = $1`, [
        runId,
        JSON.stringify(cursor),
        JSON.stringify(progress),
      ]);
    },
  };
}

/** Enqueues a created run's job, keyed by the run id (optionally after `delayMs`). */
export function sendSyncRun(
  platform: Platform,
  job: string,
  tenantId: string,
  runId: string,
  options: { delayMs?: number } = {},
): Promise<string | null> {
  return platform.jobs.send(
    job,
    { tenantId, runId },
    { key: runId, ...(options.delayMs ? { delayMs: options.delayMs } : {}) },
  );
}

export interface SyncRunJobSpec<Row extends SyncRunRow<unknown>> {
  name: string;
  table: string;
  attempts: number;
  /**
   * Runs (or resumes) the claimed run from its stored cursor; `false` when the run row is gone (it
   * is then left as it is).
   */
  run(run: Row, tenantId: string): Promise<boolean | undefined>;
  /** A failure that ends the run now, failed, without another attempt (the job does not fail). */
  endsRun?(err: unknown): boolean;
}

/**
 * The job of an engine's sync runs (keyed by the run id): claims a queued or running run (attempts
 * + 1, started once), runs it, and marks it completed, or records the failure: `failed` on the last
 * attempt, otherwise `running` until the retry resumes it.
 */
export function defineSyncRunJob<Row extends SyncRunRow<unknown>>(
  platform: Platform,
  spec: SyncRunJobSpec<Row>,
): void {
  const { db, jobs } = platform;
  const t = tableName(spec.table);
  jobs.define<{ tenantId: string; runId: string }>({
    name: spec.name,
    queue: "sync",
    attempts: spec.attempts,
    backoffMs: 1000,
    async handler({ tenantId, runId }, ctx) {
      const run = await db.tenant(tenantId, async (s) => {
        const [row] = await s.query<Row>(
          `update ${t} set status = 'running', attempts = attempts + 1,
             started_at = coalesce(started_at, now()), updated_at = now()
           where id = $1 and status in ('queued', 'running') returning *`,
          [runId],
        );
        return row;
      });
      if (!run) return;
      try {
        if ((await spec.run(run, tenantId)) === false) return;
        await db.tenant(tenantId, (s) =>
          s.query(
            `update ${t} set status = 'completed', error = null, finished_at = now(), updated_at = now() where id = $1`,
            [runId],
          ),
        );
      } catch (err) {
        const ends = spec.endsRun?.(err) ?? false;
        const last = ctx.attempt >= spec.attempts || ends;
        await db
          .tenant(tenantId, (s) =>
            s.query(
              `update ${t} set error = $2, status = $3, updated_at = now(),
                 finished_at = case when $3 = 'failed' then now() else finished_at end where id = $1`,
              [runId, failureText(err), last ? "failed" : "running"],
            ),
          )
          .catch(() => undefined);
        if (!ends) throw err;
      }
    },
  });
}
