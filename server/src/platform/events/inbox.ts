import { type Database, inBackground, type Scope } from "../db/index.ts";
import { errorText } from "../jobs/dead-letters.ts";
import type { JobQueue, JobToSend, QueueName } from "../jobs/jobs.ts";
import type { Logger } from "../logger.ts";
import type { InboundEvent, Inbox } from "./events.ts";

export interface InboxOptions {
  db: Database;
  jobs: JobQueue;
  log?: Logger;
  /** Queue of the processing jobs. */
  queue?: QueueName;
  /** Period of the sweep. */
  sweepMs?: number;
  /** Unprocessed rows older than this are re-enqueued by the sweep. */
  staleMs?: number;
}

export interface InboxService extends Inbox {
  /**
   * Re-enqueues unprocessed rows older than `staleMs` (the option's, unless given); returns how
   * many jobs it created.
   */
  sweep(staleMs?: number): Promise<number>;
}

type StoredEvent = InboundEvent & { id: number; tenantId: string };
type Handler = (event: StoredEvent, scope: Scope) => Promise<void>;
type StoredHook = (events: StoredEvent[], scope: Scope) => Promise<JobToSend[]>;

interface Received {
  id: number;
  duplicate: boolean;
}

interface Pending {
  event: InboundEvent;
  resolve: (received: Received) => void;
  reject: (err: unknown) => void;
}

/** Most events written in one group-commit transaction. */
const maxBatch = 500;

interface ProcessJob {
  id: number;
  tenantId: string;
}

interface InboxRow {
  id: number | string;
  platform: string;
  event_key: string;
  kind: string;
  payload: Record<string, unknown>;
}

export const inboxJobName = "inbox.process";
/** Longest stored error text: enough for a stack, not a whole response body. */
const maxErrorLength = 4000;

/**
 * The inbox of raw platform events. `receive` stores an event once (unique per tenant, platform and
 * event key) and enqueues its processing with the inbox id as idempotency key. Processing runs the
 * platform's handler and sets `processed_at` in one tenant transaction, so an event's database
 * effects happen once however often its job runs; a failure is counted in its own transaction and
 * rethrown for the queue's retry. The sweep re-sends the job of rows still unprocessed after
 * `staleMs` (a crash between commit and send); the key makes that a no-op while the job exists.
 */
export function createInbox(options: InboxOptions): InboxService {
  const { db, jobs, log } = options;
  const queue = options.queue ?? "realtime";
  const staleMs = options.staleMs ?? 60_000;
  const handlers = new Map<string, Handler>();
  const storedHooks = new Map<string, StoredHook>();
  let timer: NodeJS.Timeout | undefined;

  async function enqueue(id: number, tenantId: string): Promise<string | null> {
    return jobs.send<ProcessJob>(inboxJobName, { id, tenantId }, { key: String(id) });
  }

  async function processRow({ id, tenantId }: ProcessJob): Promise<void> {
    try {
      await db.tenant(tenantId, async (scope) => {
        // The row lock keeps a concurrent run of the same job waiting, then seeing it processed.
        const rows = await scope.query<InboxRow>(
          `select id, platform, event_key, kind, payload from inbox
           where id = $1 and processed_at is null for update`,
          [id],
        );
        const row = rows[0];
        if (!row) return;
        const handler = handlers.get(row.platform);
        if (!handler) throw new Error(`no inbox handler for platform ${row.platform}`);
        await handler(
          {
            id,
            tenantId,
            platform: row.platform,
            eventKey: row.event_key,
            kind: row.kind,
            payload: row.payload,
          },
          scope,
        );
        await scope.query("update inbox set processed_at = now(), attempts = attempts + 1 where id = $1", [
          id,
        ]);
      });
    } catch (err) {
      await db
        .tenant(tenantId, (scope) =>
          scope.query("update inbox set attempts = attempts + 1, last_error = $2 where id = $1", [
            id,
            errorText(err).slice(0, maxErrorLength),
          ]),
        )
        .catch((e) => log?.warn({ err: e, id }, "could not record inbox failure"));
      throw err;
    }
  }

  jobs.define<ProcessJob>({ name: inboxJobName, queue, handler: processRow });

  // Group commit: callbacks arriving while a tenant's previous batch is being written wait and go
  // in the next one — one transaction and one `sendMany` per batch instead of per event. An idle
  // inbox writes a lone event after one event-loop turn, so batching adds next to no delay.
  const waiting = new Map<string, Pending[]>();
  const flushing = new Set<string>();

  async function flush(tenantId: string): Promise<void> {
    try {
      for (;;) {
        const queue = waiting.get(tenantId);
        if (!queue || queue.length === 0) {
          waiting.delete(tenantId);
          return;
        }
        const batch = queue.splice(0, maxBatch);
        try {
          const stored = await storeBatch(
            tenantId,
            batch.map((p) => p.event),
          );
          for (const [i, p] of batch.entries()) p.resolve(stored[i] as Received);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
        // PGlite runs in this thread and its awaits are microtasks: without yielding to I/O here,
        // requests that arrived during the write would not be read until the queue looked empty.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      flushing.delete(tenantId);
    }
  }

  /** The `onStored` hooks of the batch's fresh events, each in a savepoint; returns their jobs. */
  async function runStoredHooks(scope: Scope, fresh: StoredEvent[]): Promise<JobToSend[]> {
    const out: JobToSend[] = [];
    for (const [platform, hook] of storedHooks) {
      const mine = fresh.filter((e) => e.platform === platform);
      if (!mine.length) continue;
      await scope.query("savepoint inbox_stored_hook");
      try {
        out.push(...(await hook(mine, scope)));
        await scope.query("release savepoint inbox_stored_hook");
      } catch (err) {
        await scope.query("rollback to savepoint inbox_stored_hook");
        log?.warn({ err, platform }, "inbox onStored hook failed; the processing jobs do its work");
      }
    }
    return out;
  }

  async function storeBatch(tenantId: string, events: InboundEvent[]): Promise<Received[]> {
    const keyOf = (platform: string, eventKey: string) => `${platform}\u0000${eventKey}`;
    let hookJobs: JobToSend[] = [];
    const results = await db.tenant(tenantId, async (scope) => {
      const inserted = await scope.query<{ id: number | string; platform: string; event_key: string }>(
        `insert into inbox (tenant_id, platform, event_key, kind, payload)
         select $1, e.platform, e.event_key, e.kind, e.payload::jsonb
           from unnest($2::text[], $3::text[], $4::text[], $5::text[]) with ordinality
                as e(platform, event_key, kind, payload, n)
          order by e.n
         on conflict (tenant_id, platform, event_key) do nothing
         returning id, platform, event_key`,
        [
          tenantId,
          events.map((e) => e.platform),
          events.map((e) => e.eventKey),
          events.map((e) => e.kind),
          events.map((e) => JSON.stringify(e.payload)),
        ],
      );
      const fresh = new Map(inserted.map((r) => [keyOf(r.platform, r.event_key), Number(r.id)]));
      const known = new Map<string, number>();
      if (inserted.length < events.length) {
        const existing = await scope.query<{ id: number | string; platform: string; event_key: string }>(
          `select id, platform, event_key from inbox
            where tenant_id = $1 and (platform, event_key) in (select * from unnest($2::text[], $3::text[]))`,
          [tenantId, events.map((e) => e.platform), events.map((e) => e.eventKey)],
        );
        for (const r of existing) known.set(keyOf(r.platform, r.event_key), Number(r.id));
      }
      // Within one batch the first copy of an event is the fresh one; later copies are retries.
      const received = events.map((e): Received => {
        const key = keyOf(e.platform, e.eventKey);
        const id = fresh.get(key);
        if (id !== undefined) {
          fresh.delete(key);
          known.set(key, id);
          return { id, duplicate: false };
        }
        const existing = known.get(key);
        if (existing === undefined) throw new Error("inbox row vanished between insert and select");
        return { id: existing, duplicate: true };
      });
      if (storedHooks.size) {
        const fresh = events
          .map((e, i) => ({ e, r: received[i] as Received }))
          .filter(({ r }) => !r.duplicate)
          .map(({ e, r }) => ({ ...e, id: r.id, tenantId }));
        hookJobs = await runStoredHooks(scope, fresh);
      }
      return received;
    });
    const jobsToSend: JobToSend[] = [
      // First: a hook's jobs are the urgent ones (the order of one call is the order they run in).
      ...hookJobs,
      ...results
        .filter((r) => !r.duplicate)
        .map((r) => ({ name: inboxJobName, data: { id: r.id, tenantId }, options: { key: String(r.id) } })),
    ];
    if (jobsToSend.length > 0) {
      // Stored is what the platform needs to hear; a failed send is repaired by the sweep.
      await jobs
        .sendMany(jobsToSend)
        .catch((err) => log?.warn({ err }, "inbox enqueue failed; the sweep retries"));
    }
    return results;
  }

  const inbox: InboxService = {
    receive(tenantId, event) {
      return new Promise((resolve, reject) => {
        let queue = waiting.get(tenantId);
        if (!queue) {
          queue = [];
          waiting.set(tenantId, queue);
        }
        queue.push({ event, resolve, reject });
        if (!flushing.has(tenantId)) {
          flushing.add(tenantId);
          // After this turn's I/O callbacks: every request already read joins the first batch.
          setImmediate(() => void flush(tenantId));
        }
      });
    },

    handle(platform, handler) {
      if (handlers.has(platform)) throw new Error(`inbox handler for ${platform} registered twice`);
      handlers.set(platform, handler);
    },

    onStored(platform, hook) {
      if (storedHooks.has(platform)) throw new Error(`inbox onStored hook for ${platform} registered twice`);
      storedHooks.set(platform, hook);
    },

    async sweep(olderThanMs = staleMs) {
      const rows = await db.system((scope) =>
        scope.query<{ id: number | string; tenant_id: string }>(
          `select id, tenant_id from inbox
           where processed_at is null and received_at <= now() - make_interval(secs => $1::double precision / 1000)
           order by id limit 1000`,
          [olderThanMs],
        ),
      );
      let created = 0;
      for (const r of rows) {
        if (await enqueue(Number(r.id), r.tenant_id)) created++;
      }
      return created;
    },

    async start() {
      if (timer) return;
      // Rows left unprocessed by an earlier process (killed between commit and enqueue) go now,
      // not a staleness period later; the job key makes a row whose job still exists a no-op.
      inBackground(() => inbox.sweep(0))
        .then((n) => n && log?.info({ sent: n }, "inbox rows of an earlier process re-enqueued"))
        .catch((err) => log?.warn({ err }, "inbox boot sweep failed"));
      timer = setInterval(() => {
        inBackground(() => inbox.sweep()).catch((err) => log?.warn({ err }, "inbox sweep failed"));
      }, options.sweepMs ?? 30_000);
      timer.unref();
    },

    async stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
  return inbox;
}
