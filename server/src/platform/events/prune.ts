import type { Database } from "../db/index.ts";

/** Default retention of dispatched events and processed-event records. */
export const defaultRetentionMs = 30 * 24 * 3600 * 1000;

/**
 * Deletes dispatched outbox rows and processed-event records older than `olderThanMs`, in batches
 * of `batch` rows so no statement holds locks for long. Safe because no delivery can come back
 * after so long: a delivery job retries for minutes and its idempotency key is kept 7 days.
 * Returns how many rows of each it deleted.
 */
export async function pruneEvents(
  db: Database,
  options: { olderThanMs?: number; batch?: number } = {},
): Promise<{ outbox: number; processed: number }> {
  const seconds = (options.olderThanMs ?? defaultRetentionMs) / 1000;
  const batch = options.batch ?? 5000;
  const deleted = { outbox: 0, processed: 0 };
  const statements = {
    outbox: `delete from outbox where id in (
      select id from outbox where dispatched_at < now() - make_interval(secs => $1) limit $2)`,
    processed: `delete from processed_events where ctid in (
      select ctid from processed_events where processed_at < now() - make_interval(secs => $1) limit $2)`,
  };
  for (const table of ["outbox", "processed"] as const) {
    let n: number;
    do {
      const rows = await db.system((s) =>
        s.query<{ n: number | string }>(
          `with gone as (${statements[table]} returning 1) select count(*) as n from gone`,
          [seconds, batch],
        ),
      );
      n = Number(rows[0]?.n ?? 0);
      deleted[table] += n;
    } while (n === batch);
  }
  return deleted;
}
