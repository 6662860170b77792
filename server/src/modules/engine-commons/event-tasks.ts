import type { Scope } from "../../platform/db/index.ts";
import type { Platform } from "../../platform/platform.ts";
import { failureText, tableName } from "./table-name.ts";

/** What every engine's event task row has (the engine's own columns come on top). */
export interface EventTaskRow {
  status: string;
}

/** `prepare`'s answer when the task must not be processed: it is set aside as `ignored`, with why. */
export interface SetAside {
  setAside: string;
}

export interface EventTaskSpec<Task extends EventTaskRow, Prepared, Fetched> {
  /**
   * The engine's task table: `inbox_id` (primary key, the inbox row), `tenant_id`, `status`
   * (`pending` → `done` | `failed` | `ignored`), `attempts`, `error`, `done_at`, `created_at`.
   */
  table: string;
  /** The processing job's name, and the sweep's. */
  job: string;
  sweepJob: string;
  /** The engine in log lines ("WeCom", "Official Account"). */
  label: string;
  /** Attempts of the processing job; the last one leaves a failing task `failed`. */
  attempts: number;
  /** Reads the task (and whatever the engine wants to know with it) in the tenant's transaction. */
  load(scope: Scope, inboxId: number): Promise<Task | undefined>;
  /**
   * Outside any transaction, before the platform is called: settings and state. A throw fails the job
   * without touching the task (its next attempt tries again); `{ setAside }` ends the task as ignored.
   */
  prepare(tenantId: string, task: Task): Promise<Prepared | SetAside>;
  /**
   * The platform reads, outside any transaction. A throw is recorded on the task (attempts, error;
   * `failed` on the last attempt) before the job fails.
   */
  fetch(task: Task, prepared: Prepared, tenantId: string): Promise<Fetched>;
  /** The advisory lock under which events of one subject apply one at a time (none: no lock). */
  lockKey(tenantId: string, task: Task): string | undefined;
  /** The effects, in the transaction that has locked the pending task and then marks it done. */
  apply(scope: Scope, task: Task & { inboxId: number }, prepared: Prepared, fetched: Fetched): Promise<void>;
}

export interface EventTasks {
  /** Sends the task's processing job, keyed by the inbox id (below the inbox's own jobs). */
  enqueue(tenantId: string, inboxId: number): Promise<string | null>;
  /** Sends it once `scope` commits; a lost send is the sweep's to redo. */
  enqueueOnCommit(scope: Scope, tenantId: string, inboxId: number): void;
  /** Re-sends jobs of tasks still pending after `staleMs` (the process died between commit and send). */
  sweep(staleMs?: number): Promise<number>;
}

const isSetAside = (v: unknown): v is SetAside =>
  typeof v === "object" && v !== null && typeof (v as SetAside).setAside === "string";

/**
 * Callback processing as both engines do it (SPEC §2, §4; STYLE habit 5). The inbox handler records a
 * task in the inbox's transaction and enqueues the job on commit. The job reads the task, calls the
 * platform outside any transaction, then applies the effects and marks the task done in one
 * transaction that locks the task first: a duplicate or retried job finds it done and changes
 * nothing. A periodic sweep (and one at boot) re-enqueues tasks whose job was lost in a crash.
 * What differs per engine — the task's columns, the reads, the effects, the lock's subject — is in
 * the spec.
 */
export function defineEventTasks<Task extends EventTaskRow, Prepared, Fetched>(
  platform: Platform,
  spec: EventTaskSpec<Task, Prepared, Fetched>,
): EventTasks {
  const { jobs, db, log } = platform;
  const t = tableName(spec.table);

  // Below the inbox's own jobs (0) and live-code welcomes (100) on the realtime queue: in a burst, a
  // backlog of platform reads must not hold back the recording of later callbacks and their welcomes.
  const enqueue = (tenantId: string, inboxId: number) =>
    jobs.send(spec.job, { tenantId, inboxId }, { key: String(inboxId), priority: -10 });

  const enqueueOnCommit = (scope: Scope, tenantId: string, inboxId: number) =>
    scope.onCommit(() => {
      enqueue(tenantId, inboxId).catch((err: unknown) =>
        log.warn({ err, inboxId }, `${spec.label} event job enqueue failed; the sweep retries`),
      );
    });

  jobs.define<{ tenantId: string; inboxId: number }>({
    name: spec.job,
    queue: "realtime",
    attempts: spec.attempts,
    backoffMs: 2000,
    async handler({ tenantId, inboxId }, ctx) {
      const task = await db.tenant(tenantId, (s) => spec.load(s, inboxId));
      if (task?.status !== "pending") return;
      const prepared = await spec.prepare(tenantId, task);
      if (isSetAside(prepared)) {
        await db.tenant(tenantId, (s) =>
          s.query(
            `update ${t} set status = 'ignored', done_at = now(), error = $2
              where inbox_id = $1 and status = 'pending'`,
            [inboxId, prepared.setAside],
          ),
        );
        return;
      }
      let fetched: Fetched;
      try {
        fetched = await spec.fetch(task, prepared, tenantId);
      } catch (err) {
        await db
          .tenant(tenantId, (s) =>
            // The last attempt leaves the task visibly failed (the job goes to the dead letters).
            s.query(`update ${t} set attempts = attempts + 1, error = $2, status = $3 where inbox_id = $1`, [
              inboxId,
              failureText(err),
              ctx.attempt >= spec.attempts ? "failed" : "pending",
            ]),
          )
          .catch(() => undefined);
        throw err;
      }
      await db.tenant(tenantId, async (s) => {
        const [locked] = await s.query<{ status: string }>(
          `select status from ${t} where inbox_id = $1 for update`,
          [inboxId],
        );
        if (locked?.status !== "pending") return;
        // Events of one subject apply one at a time (the platforms deliver them concurrently).
        const lockKey = spec.lockKey(tenantId, task);
        if (lockKey) await s.query("select pg_advisory_xact_lock(hashtext($1))", [lockKey]);
        await spec.apply(s, { ...task, inboxId }, prepared, fetched);
        await s.query(
          `update ${t} set status = 'done', done_at = now(), attempts = attempts + 1, error = null where inbox_id = $1`,
          [inboxId],
        );
      });
    },
  });

  async function sweep(staleMs = 60_000): Promise<number> {
    const rows = await db.system((s) =>
      s.query<{ inbox_id: string | number; tenant_id: string }>(
        `select inbox_id, tenant_id from ${t}
          where status = 'pending' and created_at <= now() - make_interval(secs => $1::double precision / 1000)
          order by inbox_id limit 1000`,
        [staleMs],
      ),
    );
    let sent = 0;
    for (const r of rows) if (await enqueue(r.tenant_id, Number(r.inbox_id))) sent++;
    return sent;
  }
  jobs.define<{ boot?: boolean }>({
    name: spec.sweepJob,
    queue: "system",
    // `boot`: sent once when a worker starts, for tasks an earlier process left without a job
    // (killed between commit and send); the job key makes a task whose job exists a no-op.
    handler: async (data) => {
      const sent = await sweep(data.boot ? 0 : undefined);
      if (sent) log.info({ sent }, `re-enqueued ${spec.label} event tasks`);
    },
  });

  return { enqueue, enqueueOnCommit, sweep };
}
