import type { OaSyncRunDto } from "@siyu/contracts";
import {
  batchGetMax,
  isOaApiError,
  type OaClient,
  type OaUserInfo,
} from "../../../connectors/official-account/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { analyzeCustomerTables, analyzeDue } from "../../customers/index.ts";
import { oaClient, requireOaSettings } from "../oa-client.ts";
import { applyFollowers } from "../ops/apply-followers.ts";

export const oaSyncJob = "official-account.sync";
const syncAttempts = 5;
/** Followers written per transaction (and checkpoint): five batchget calls, fetched in parallel. */
export const followersPerBatch = 500;

/**
 * The resumable state of a follower sync: the `next_openid` the current user/get page was asked
 * with (pages are deterministic, so a restart asks for it again) and how many of its openids are
 * applied. Each batch's effects and the cursor after it commit in one transaction.
 */
interface Cursor {
  page: string;
  offset: number;
  /** When the walk began (database clock): subscribed followers not seen since are gone. */
  since?: string;
}

type Progress = Record<string, number>;

interface RunRow {
  id: string;
  app_id: string;
  kind: string;
  status: "queued" | "running" | "completed" | "failed";
  cursor: Cursor;
  progress: Progress;
  attempts: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export function oaRunDto(r: RunRow): OaSyncRunDto {
  const done = r.status === "completed" || r.status === "failed";
  return {
    id: r.id,
    appId: r.app_id,
    kind: r.kind,
    status: r.status,
    progress: r.progress,
    step: done ? null : "followers",
    attempts: r.attempts,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export async function listOaRuns(scope: Scope, limit: number): Promise<OaSyncRunDto[]> {
  const rows = await scope.query<RunRow>(
    "select * from oa_sync_runs order by created_at desc, id desc limit $1",
    [limit],
  );
  return rows.map(oaRunDto);
}

export async function getOaRun(scope: Scope, id: string): Promise<OaSyncRunDto | null> {
  const [row] = await scope.query<RunRow>("select * from oa_sync_runs where id = $1", [id]);
  return row ? oaRunDto(row) : null;
}

/** Creates a follower sync run and enqueues its job (keyed by the run id). */
export async function startOaSync(
  platform: Platform,
  tenantId: string,
  createdBy: string | null,
  options: { delayMs?: number } = {},
): Promise<OaSyncRunDto> {
  const run = await platform.db.tenant(tenantId, async (s) => {
    const [configured] = await s.query<{ app_id: string }>("select app_id from oa_settings");
    if (!configured) throw new AppError("oa_not_configured", "configure the Official Account before syncing");
    const [row] = await s.query<RunRow>(
      `insert into oa_sync_runs (id, tenant_id, kind, cursor, created_by, app_id)
       values ($1, $2, 'followers', $3, $4, $5) returning *`,
      [newId("osr"), tenantId, JSON.stringify({ page: "", offset: 0 }), createdBy, configured.app_id],
    );
    return row as RunRow;
  });
  await platform.jobs.send(
    oaSyncJob,
    { tenantId, runId: run.id },
    { key: run.id, ...(options.delayMs ? { delayMs: options.delayMs } : {}) },
  );
  return oaRunDto(run);
}

async function save(scope: Scope, runId: string, cursor: Cursor, progress: Progress): Promise<void> {
  await scope.query("update oa_sync_runs set cursor = $2, progress = $3, updated_at = now() where id = $1", [
    runId,
    JSON.stringify(cursor),
    JSON.stringify(progress),
  ]);
}

/** user/info/batchget for up to `followersPerBatch` openids: ≤100 per call, calls in parallel. */
function fetchInfos(client: OaClient, openids: string[]): Promise<OaUserInfo[]> {
  const calls: Promise<OaUserInfo[]>[] = [];
  for (let i = 0; i < openids.length; i += batchGetMax)
    calls.push(client.users.batchGet(openids.slice(i, i + batchGetMax)));
  const all = Promise.all(calls).then((lists) => lists.flat());
  all.catch(() => undefined);
  return all;
}

async function runFollowers(
  platform: Platform,
  tenantId: string,
  runId: string,
  start: Cursor,
  progress: Progress,
  appId: string,
) {
  const settings = await requireOaSettings(platform, tenantId);
  // The cursor is the run's account's (next_openid): another account connected since ends the run.
  if (settings.appId !== appId)
    throw new AppError("conflict", `the Official Account ${appId} is no longer connected`);
  const client = oaClient(platform, settings);
  const cursor: Cursor = { ...start };
  if (!cursor.since) {
    cursor.since = await platform.db.tenant(tenantId, async (s) => {
      const [row] = await s.query<{ now: string }>("select now()::text as now");
      await save(s, runId, { ...cursor, since: row!.now }, progress);
      return row!.now;
    });
  }
  let batches = 0;
  for (;;) {
    const page = await client.users.list(cursor.page || undefined);
    const openids = page.data?.openid ?? [];
    progress.total = page.total;
    if (openids.length === 0) break;
    // Pipelined: the next batch is asked of WeChat while this one is written.
    let pending: Promise<OaUserInfo[]> | null =
      cursor.offset < openids.length
        ? fetchInfos(client, openids.slice(cursor.offset, cursor.offset + followersPerBatch))
        : null;
    try {
      while (pending) {
        const infos = await pending;
        pending = null;
        const nextOffset = Math.min(cursor.offset + followersPerBatch, openids.length);
        if (nextOffset < openids.length)
          pending = fetchInfos(client, openids.slice(nextOffset, nextOffset + followersPerBatch));
        await platform.db.tenant(tenantId, async (s) => {
          const applied = await applyFollowers(s, platform, {
            appId: settings.appId,
            infos,
            publish: "batch",
            synced: true,
          });
          progress.applied = (progress.applied ?? 0) + applied.length;
          progress.customersCreated =
            (progress.customersCreated ?? 0) + applied.filter((a) => a.created).length;
          progress.withUnionid = (progress.withUnionid ?? 0) + applied.filter((a) => a.unionid).length;
          progress.unsubscribedInAnswer =
            (progress.unsubscribedInAnswer ?? 0) + infos.filter((i) => i.subscribe !== 1).length;
          await save(s, runId, { ...cursor, offset: nextOffset }, progress);
        });
        cursor.offset = nextOffset;
        if (analyzeDue(++batches)) {
          await analyzeCustomerTables(platform);
          await platform.db.query("analyze oa_followers");
        }
      }
    } finally {
      if (pending) await pending.catch(() => undefined);
    }
    progress.pages = (progress.pages ?? 0) + 1;
    // A short page is the last one (WeChat pages by 10,000); otherwise go on after its last openid.
    const next = page.next_openid ?? "";
    const last = openids.length < 10_000 || !next || next === cursor.page;
    Object.assign(cursor, { page: last ? cursor.page : next, offset: last ? openids.length : 0 });
    await platform.db.tenant(tenantId, (s) => save(s, runId, cursor, progress));
    if (last) break;
  }
  await platform.db.tenant(tenantId, async (s) => {
    // Subscribed followers neither the walk nor a callback touched since it began unfollowed
    // unnoticed (a lost callback): the backup channel marks them.
    const gone = await s.query(
      `update oa_followers set subscribed = false, unsubscribed_at = now(), updated_at = now()
        where app_id = $2 and subscribed and (synced_at is null or synced_at < $1::timestamptz) returning openid`,
      [cursor.since, settings.appId],
    );
    progress.unsubscribedFound = gone.length;
    const [n] = await s.query<{ n: number }>(
      "select count(*)::int as n from oa_followers where subscribed and app_id = $1",
      [settings.appId],
    );
    progress.followers = n?.n ?? 0;
    await save(s, runId, cursor, progress);
  });
}

export function defineOaSyncJobs(platform: Platform) {
  const { db, jobs } = platform;
  jobs.define<{ tenantId: string; runId: string }>({
    name: oaSyncJob,
    queue: "sync",
    attempts: syncAttempts,
    backoffMs: 1000,
    async handler({ tenantId, runId }, ctx) {
      const run = await db.tenant(tenantId, async (s) => {
        const [row] = await s.query<RunRow>(
          `update oa_sync_runs set status = 'running', attempts = attempts + 1,
             started_at = coalesce(started_at, now()), updated_at = now()
           where id = $1 and status in ('queued', 'running') returning *`,
          [runId],
        );
        return row;
      });
      if (!run) return;
      try {
        let state = { cursor: run.cursor, progress: run.progress };
        for (let waits = 0; ; waits++) {
          try {
            await runFollowers(platform, tenantId, runId, state.cursor, { ...state.progress }, run.app_id);
            break;
          } catch (err) {
            // The account's breaker opened (WeChat failing): wait it out here, a few times, rather than
            // spending the job's attempts within its cooldown; then go on from the last checkpoint.
            if (!(isOaApiError(err) && err.kind === "circuit_open" && waits < 3)) throw err;
            await new Promise((r) => setTimeout(r, Math.min(err.retryAfterMs ?? 1000, 60_000)));
            const [fresh] = await db.tenant(tenantId, (s) =>
              s.query<RunRow>("select * from oa_sync_runs where id = $1", [runId]),
            );
            if (!fresh) return;
            state = { cursor: fresh.cursor, progress: fresh.progress };
          }
        }
        await db.tenant(tenantId, (s) =>
          s.query(
            "update oa_sync_runs set status = 'completed', error = null, finished_at = now(), updated_at = now() where id = $1",
            [runId],
          ),
        );
      } catch (err) {
        const switched = err instanceof AppError && err.code === "conflict";
        const last = ctx.attempt >= syncAttempts || switched;
        await db
          .tenant(tenantId, (s) =>
            s.query(
              `update oa_sync_runs set error = $2, status = $3, updated_at = now(),
                 finished_at = case when $3 = 'failed' then now() else finished_at end where id = $1`,
              [
                runId,
                String(err instanceof Error ? err.message : err).slice(0, 2000),
                last ? "failed" : "running",
              ],
            ),
          )
          .catch(() => undefined);
        if (!switched) throw err;
      }
    },
  });
}
