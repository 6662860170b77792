import type { WecomSyncKind, WecomSyncRunDto } from "@siyu/contracts";
import type { GroupChat, WecomClient, WecomUser } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { analyzeCustomerTables, analyzeDue, listTags } from "../../customers/index.ts";
import { applyContacts } from "../ops/apply-contact.ts";
import { applyGroup } from "../ops/apply-group.ts";
import { applyDepartments, applyStaff } from "../ops/apply-org.ts";
import { applyCorpTags } from "../ops/apply-tags.ts";
import type { WecomCorpSettings } from "../settings.service.ts";
import { requireSettings, wecomClient } from "../wecom-client.ts";

export const syncJob = "wecom.sync";
const syncAttempts = 5;

type Step = "org" | "tags" | "contacts" | "groups";
const stepsOf: Record<WecomSyncKind, Step[]> = {
  all: ["org", "tags", "contacts", "groups"],
  org: ["org"],
  tags: ["tags"],
  contacts: ["org", "contacts"],
  groups: ["groups"],
};

/**
 * The resumable state of a run: which step, and inside `contacts`/`groups` the WeCom cursor of the
 * next page. Each page's effects and the cursor after it commit in one transaction, so a run that
 * restarts (crash, WeCom error, retry) continues exactly after the last page it applied.
 */
interface Cursor {
  steps: Step[];
  step: number;
  /** contacts: the members to page over, fixed when the step starts. */
  userids?: string[];
  chunk?: number;
  page?: string;
}

type Progress = Record<string, number>;

interface RunRow {
  id: string;
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

export function runDto(r: RunRow): WecomSyncRunDto {
  const step =
    r.status === "completed" || r.status === "failed" ? null : (r.cursor.steps?.[r.cursor.step] ?? null);
  return {
    id: r.id,
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

export async function listRuns(scope: Scope, limit: number): Promise<WecomSyncRunDto[]> {
  const rows = await scope.query<RunRow>(
    "select * from wecom_sync_runs order by created_at desc, id desc limit $1",
    [limit],
  );
  return rows.map(runDto);
}

/** Creates a run and enqueues its job (keyed by the run id). */
export async function startSync(
  platform: Platform,
  tenantId: string,
  kind: WecomSyncKind,
  createdBy: string | null,
): Promise<WecomSyncRunDto> {
  const run = await platform.db.tenant(tenantId, async (s) => {
    const [configured] = await s.query("select 1 from wecom_settings");
    if (!configured) throw new AppError("wecom_not_configured", "configure WeCom before syncing");
    const cursor: Cursor = { steps: stepsOf[kind], step: 0 };
    const [row] = await s.query<RunRow>(
      `insert into wecom_sync_runs (id, tenant_id, kind, cursor, created_by) values ($1, $2, $3, $4, $5) returning *`,
      [newId("wsr"), tenantId, kind, JSON.stringify(cursor), createdBy],
    );
    return row as RunRow;
  });
  await platform.jobs.send(syncJob, { tenantId, runId: run.id }, { key: run.id });
  return runDto(run);
}

async function save(scope: Scope, runId: string, cursor: Cursor, progress: Progress): Promise<void> {
  await scope.query(
    "update wecom_sync_runs set cursor = $2, progress = $3, updated_at = now() where id = $1",
    [runId, JSON.stringify(cursor), JSON.stringify(progress)],
  );
}

const bump = (p: Progress, key: string, n = 1) => {
  p[key] = (p[key] ?? 0) + n;
};

async function runOrg(
  platform: Platform,
  tenantId: string,
  settings: WecomCorpSettings,
  runId: string,
  cursor: Cursor,
  progress: Progress,
) {
  const app = wecomClient(platform, settings, "app");
  const contact = wecomClient(platform, settings, "contact");
  const { department } = await app.org.departments();
  const users = new Map<string, WecomUser>();
  for (const d of department) {
    for (const u of (await app.org.users(d.id)).userlist) users.set(u.userid, u);
  }
  const follow = new Set((await contact.externalContact.followUsers()).follow_user);
  await platform.db.tenant(tenantId, async (s) => {
    await applyDepartments(s, department);
    await applyStaff(s, [...users.values()], follow);
    progress.departments = department.length;
    progress.staff = users.size;
    progress.followUsers = follow.size;
    await save(s, runId, { ...cursor, step: cursor.step + 1 }, progress);
  });
}

async function runTags(
  platform: Platform,
  tenantId: string,
  settings: WecomCorpSettings,
  runId: string,
  cursor: Cursor,
  progress: Progress,
) {
  const client = wecomClient(platform, settings);
  const { tag_group } = await client.tags.list({});
  await platform.db.tenant(tenantId, (s) => applyCorpTags(s, tag_group, { complete: true }));
  // Siyu → WeCom: tags made in Siyu that WeCom does not have yet (WeCom allows 30 characters).
  const unmapped = await platform.db.tenant(tenantId, async (s) => {
    const mapped = new Set(
      (
        await s.query<{ siyu_tag_id: string }>(
          "select siyu_tag_id from wecom_corp_tags where siyu_tag_id is not null and deleted_at is null",
        )
      ).map((r) => r.siyu_tag_id),
    );
    return (await listTags(s)).filter((t) => !mapped.has(t.id) && [...t.name].length <= 30);
  });
  let pushed = 0;
  for (let i = 0; i < unmapped.length; i += 100) {
    const batch = unmapped.slice(i, i + 100);
    const { tag_group: group } = await client.tags.add({
      group_name: "Siyu",
      tag: batch.map((t) => ({ name: t.name })),
    });
    await platform.db.tenant(tenantId, (s) => applyCorpTags(s, [group], { complete: false }));
    pushed += batch.length;
  }
  await platform.db.tenant(tenantId, async (s) => {
    const [n] = await s.query<{ n: number }>(
      "select count(*)::int as n from wecom_corp_tags where kind = 'tag' and deleted_at is null",
    );
    progress.tags = n?.n ?? 0;
    progress.tagsPushed = pushed;
    await save(s, runId, { ...cursor, step: cursor.step + 1 }, progress);
  });
}

async function runContacts(
  platform: Platform,
  tenantId: string,
  settings: WecomCorpSettings,
  runId: string,
  start: Cursor,
  progress: Progress,
) {
  const client = wecomClient(platform, settings);
  const cursor: Cursor = { ...start };
  if (!cursor.userids) {
    const userids = await platform.db.tenant(tenantId, (s) =>
      s.query<{ userid: string }>(
        "select userid from wecom_staff where has_contact_permission and status = 'active' order by userid",
      ),
    );
    cursor.userids = userids.map((u) => u.userid);
    cursor.chunk = 0;
    delete cursor.page;
    await platform.db.tenant(tenantId, (s) => save(s, runId, cursor, progress));
  }
  const userids = cursor.userids;
  const fetchPage = (at: Cursor) => {
    const list = userids.slice((at.chunk ?? 0) * 100, (at.chunk ?? 0) * 100 + 100);
    if (list.length === 0) return null;
    const p = client.externalContact.batchGetByUser({
      userid_list: list,
      limit: 100,
      ...(at.page ? { cursor: at.page } : {}),
    });
    // Awaited below; this only keeps a failure while the previous page is written from being "unhandled".
    p.catch(() => undefined);
    return p;
  };
  // Pipelined: the next page is asked of WeCom while this one is written, so a page costs the
  // longer of the two rather than their sum. Only the written page moves the checkpoint.
  let pending = fetchPage(cursor);
  let pages = 0;
  try {
    while (pending) {
      const page = await pending;
      pending = null;
      const chunk = cursor.chunk ?? 0;
      const next: Cursor = page.next_cursor
        ? { ...cursor, page: page.next_cursor }
        : { ...cursor, chunk: chunk + 1, page: undefined };
      pending = fetchPage(next);
      await platform.db.tenant(tenantId, async (s) => {
        // The whole page set-based (a fixed number of statements), with its checkpoint. One
        // `customers.upserted` event per page rather than one per fact (tag rules run on it).
        const applied = await applyContacts(s, platform, {
          corpId: settings.corpId,
          items: page.external_contact_list.map((item) => ({
            contact: item.external_contact,
            follows: [item.follow_info],
          })),
          publish: "batch",
        });
        bump(progress, "relations", page.external_contact_list.length);
        bump(progress, "customersCreated", applied.filter((r) => r.created).length);
        bump(progress, "contactPages");
        await save(s, runId, next, progress);
      });
      Object.assign(cursor, next);
      // The sync grows these tables from nothing: keep the planner's statistics fresh.
      if (analyzeDue(++pages)) {
        await analyzeCustomerTables(platform);
        for (const table of ["wecom_follows", "wecom_contacts"]) await platform.db.query(`analyze ${table}`);
      }
    }
  } finally {
    // Never leave a WeCom call running behind the job's back (its failure is the retry's business).
    if (pending) await pending.catch(() => undefined);
  }
  await platform.db.tenant(tenantId, async (s) => {
    const [n] = await s.query<{ n: number }>("select count(*)::int as n from wecom_contacts");
    progress.contacts = n?.n ?? 0;
    await save(s, runId, { steps: cursor.steps, step: cursor.step + 1 }, progress);
  });
}

async function runGroups(
  platform: Platform,
  tenantId: string,
  settings: WecomCorpSettings,
  runId: string,
  start: Cursor,
  progress: Progress,
) {
  const client: WecomClient = wecomClient(platform, settings);
  const cursor: Cursor = { ...start };
  for (;;) {
    const page = await client.groupChat.list({ limit: 100, ...(cursor.page ? { cursor: cursor.page } : {}) });
    const chats: Array<{ chat: GroupChat; status: number }> = [];
    for (const g of page.group_chat_list) {
      chats.push({ chat: (await client.groupChat.get(g.chat_id, true)).group_chat, status: g.status });
    }
    const next: Cursor = { ...cursor, page: page.next_cursor || undefined };
    await platform.db.tenant(tenantId, async (s) => {
      for (const c of chats) await applyGroup(s, c.chat, c.status);
      bump(progress, "groups", chats.length);
      await save(
        s,
        runId,
        page.next_cursor ? next : { steps: cursor.steps, step: cursor.step + 1 },
        progress,
      );
    });
    if (!page.next_cursor) return;
    Object.assign(cursor, next);
  }
}

export function defineSyncJobs(platform: Platform) {
  const { db, jobs } = platform;
  jobs.define<{ tenantId: string; runId: string }>({
    name: syncJob,
    queue: "sync",
    attempts: syncAttempts,
    backoffMs: 1000,
    async handler({ tenantId, runId }, ctx) {
      const run = await db.tenant(tenantId, async (s) => {
        const [row] = await s.query<RunRow>(
          `update wecom_sync_runs set status = 'running', attempts = attempts + 1,
             started_at = coalesce(started_at, now()), updated_at = now()
           where id = $1 and status in ('queued', 'running') returning *`,
          [runId],
        );
        return row;
      });
      if (!run) return;
      try {
        const settings = await requireSettings(platform, tenantId);
        const progress: Progress = { ...run.progress };
        let cursor = run.cursor;
        while (cursor.step < cursor.steps.length) {
          const step = cursor.steps[cursor.step];
          if (step === "org") await runOrg(platform, tenantId, settings, runId, cursor, progress);
          else if (step === "tags") await runTags(platform, tenantId, settings, runId, cursor, progress);
          else if (step === "contacts")
            await runContacts(platform, tenantId, settings, runId, cursor, progress);
          else await runGroups(platform, tenantId, settings, runId, cursor, progress);
          const [fresh] = await db.tenant(tenantId, (s) =>
            s.query<{ cursor: Cursor }>("select cursor from wecom_sync_runs where id = $1", [runId]),
          );
          if (!fresh) return;
          cursor = fresh.cursor;
        }
        await db.tenant(tenantId, (s) =>
          s.query(
            "update wecom_sync_runs set status = 'completed', error = null, finished_at = now(), updated_at = now() where id = $1",
            [runId],
          ),
        );
      } catch (err) {
        const last = ctx.attempt >= syncAttempts;
        await db
          .tenant(tenantId, (s) =>
            s.query(
              `update wecom_sync_runs set error = $2, status = $3, updated_at = now(),
                 finished_at = case when $3 = 'failed' then now() else finished_at end where id = $1`,
              [
                runId,
                String(err instanceof Error ? err.message : err).slice(0, 2000),
                last ? "failed" : "running",
              ],
            ),
          )
          .catch(() => undefined);
        throw err;
      }
    },
  });
}
