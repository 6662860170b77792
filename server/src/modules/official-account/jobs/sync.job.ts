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
import {
  defineSyncRunJob,
  type SyncProgress,
  type SyncRunRow,
  sendSyncRun,
  syncRunDto,
  syncRunStore,
} from "../../engine-commons/index.ts";
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

type Progress = SyncProgress;

interface RunRow extends SyncRunRow<Cursor> {
  app_id: string;
}

const runs = syncRunStore<RunRow>("oa_sync_runs");

export function oaRunDto(r: RunRow): OaSyncRunDto {
  const done = r.status === "completed" || r.status === "failed";
  return syncRunDto(r, done ? null : "followers", { appId: r.app_id });
}

export async function listOaRuns(scope: Scope, limit: number): Promise<OaSyncRunDto[]> {
  return (await runs.list(scope, limit)).map(oaRunDto);
}

export async function getOaRun(scope: Scope, id: string): Promise<OaSyncRunDto | null> {
  const row = await runs.get(scope, id);
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
  await sendSyncRun(platform, oaSyncJob, tenantId, run.id, options);
  return oaRunDto(run);
}

const save = runs.save;

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
  defineSyncRunJob<RunRow>(platform, {
    name: oaSyncJob,
    table: "oa_sync_runs",
    attempts: syncAttempts,
    async run(run, tenantId) {
      let state = { cursor: run.cursor, progress: run.progress };
      for (let waits = 0; ; waits++) {
        try {
          await runFollowers(platform, tenantId, run.id, state.cursor, { ...state.progress }, run.app_id);
          return true;
        } catch (err) {
          // The account's breaker opened (WeChat failing): wait it out here, a few times, rather than
          // spending the job's attempts within its cooldown; then go on from the last checkpoint.
          if (!(isOaApiError(err) && err.kind === "circuit_open" && waits < 3)) throw err;
          await new Promise((r) => setTimeout(r, Math.min(err.retryAfterMs ?? 1000, 60_000)));
          const fresh = await platform.db.tenant(tenantId, (s) => runs.get(s, run.id));
          if (!fresh) return false;
          state = { cursor: fresh.cursor, progress: fresh.progress };
        }
      }
    },
    // Another account connected since the run began: its cursor means nothing there.
    endsRun: (err) => err instanceof AppError && err.code === "conflict",
  });
}
