import type { WecomSyncKind, WecomSyncRunDto } from "@siyu/contracts";
import {
  type GroupChat,
  isWecomApiError,
  type WecomClient,
  type WecomUser,
} from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { analyzeCustomerTables, analyzeDue, appendTimeline, listTags } from "../../customers/index.ts";
import {
  defineSyncRunJob,
  type SyncProgress,
  type SyncRunRow,
  sendSyncRun,
  syncRunDto,
  syncRunStore,
} from "../../engine-commons/index.ts";
import { applyContacts, customerOfContact } from "../ops/apply-contact.ts";
import { applyGroup } from "../ops/apply-group.ts";
import { applyDepartments, applyStaff } from "../ops/apply-org.ts";
import { applyCorpTags } from "../ops/apply-tags.ts";
import {
  closeUnseenFollows,
  dbNow,
  differingContacts,
  dismissUnseenGroups,
  groupDiffers,
  markFollowsSeen,
  markGroupsSeen,
} from "../ops/reconcile.ts";
import type { WecomCorpSettings } from "../settings.service.ts";
import { requireSettings, wecomClient } from "../wecom-client.ts";

export const syncJob = "wecom.sync";
const syncAttempts = 5;

/**
 * `reconcile` and `reconcile_groups` walk the same WeCom lists as `contacts` and `groups` but write
 * only what differs (the backup channel: cheap enough to run every hour).
 */
type Step = "org" | "tags" | "contacts" | "groups" | "reconcile" | "reconcile_groups";
const stepsOf: Record<WecomSyncKind, Step[]> = {
  all: ["org", "tags", "contacts", "groups"],
  org: ["org"],
  tags: ["tags"],
  contacts: ["org", "contacts"],
  groups: ["groups"],
  reconcile: ["org", "tags", "reconcile", "reconcile_groups"],
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
  /** When the walk of the current step began (database clock): what it has not seen since is gone. */
  since?: string;
  /** Members WeCom reported as unlicensed: it returned none of their relations, so none are closed. */
  unlicensed?: string[];
}

type Progress = SyncProgress;

type RunRow = SyncRunRow<Cursor>;

const runs = syncRunStore<RunRow>("wecom_sync_runs");

export function runDto(r: RunRow): WecomSyncRunDto {
  const step =
    r.status === "completed" || r.status === "failed" ? null : (r.cursor.steps?.[r.cursor.step] ?? null);
  return syncRunDto(r, step, {});
}

export async function listRuns(scope: Scope, limit: number): Promise<WecomSyncRunDto[]> {
  return (await runs.list(scope, limit)).map(runDto);
}

/** Creates a run and enqueues its job (keyed by the run id). */
export async function startSync(
  platform: Platform,
  tenantId: string,
  kind: WecomSyncKind,
  createdBy: string | null,
  options: { delayMs?: number } = {},
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
  await sendSyncRun(platform, syncJob, tenantId, run.id, options);
  return runDto(run);
}

const save = runs.save;

const modeOf = (step: Step | undefined) =>
  step === "reconcile" || step === "reconcile_groups" ? "diff" : "full";

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
  await platform.db.tenant(tenantId, (s) => applyCorpTags(s, tag_group, { complete: true, platform }));
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
  mode: "full" | "diff",
) {
  const client = wecomClient(platform, settings);
  const cursor: Cursor = { ...start };
  if (!cursor.userids) {
    await platform.db.tenant(tenantId, async (s) => {
      const userids = await s.query<{ userid: string }>(
        "select userid from wecom_staff where has_contact_permission and status = 'active' order by userid",
      );
      cursor.userids = userids.map((u) => u.userid);
      cursor.chunk = 0;
      cursor.since = await dbNow(s);
      delete cursor.page;
      await save(s, runId, cursor, progress);
    });
  }
  const userids = cursor.userids ?? [];
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
      const unlicensed = page.fail_info?.unlicensed_userid_list ?? [];
      const skipped = unlicensed.length
        ? { unlicensed: [...new Set([...(cursor.unlicensed ?? []), ...unlicensed])] }
        : {};
      const next: Cursor = page.next_cursor
        ? { ...cursor, ...skipped, page: page.next_cursor }
        : { ...cursor, ...skipped, chunk: chunk + 1, page: undefined };
      pending = fetchPage(next);
      await platform.db.tenant(tenantId, async (s) => {
        const items =
          mode === "full"
            ? page.external_contact_list
            : await differingContacts(s, page.external_contact_list);
        // The whole page set-based (a fixed number of statements), with its checkpoint. A full sync
        // publishes one `customers.upserted` event per page rather than one per fact (tag rules run
        // on it); a reconciliation's few repairs publish theirs one by one, as the callbacks they
        // stand in for would have.
        const applied = await applyContacts(s, platform, {
          corpId: settings.corpId,
          items: items.map((item) => ({ contact: item.external_contact, follows: [item.follow_info] })),
          publish: mode === "full" ? "batch" : "each",
        });
        await markFollowsSeen(s, page.external_contact_list);
        bump(progress, "relations", page.external_contact_list.length);
        if (mode === "diff") bump(progress, "relationsRepaired", items.length);
        bump(progress, "customersCreated", applied.filter((r) => r.created).length);
        bump(progress, "contactPages");
        await save(s, runId, next, progress);
      });
      Object.assign(cursor, next);
      // A first sync grows these tables from nothing: keep the planner's statistics fresh.
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
    // Relations of the walked staff that neither the walk nor an event touched are gone in WeCom.
    if (cursor.since) {
      const unlicensed = new Set(cursor.unlicensed ?? []);
      const walked = userids.filter((u) => !unlicensed.has(u));
      bump(progress, "relationsClosed", await closeUnseenFollows(s, platform, walked, cursor.since));
    }
    const [n] = await s.query<{ n: number }>("select count(*)::int as n from wecom_contacts");
    progress.contacts = n?.n ?? 0;
    await save(s, runId, { steps: cursor.steps, step: cursor.step + 1 }, progress);
  });
}

/** `groupchat/get` errcodes meaning the group is gone (not found, dismissed). */
const goneGroupErrcodes = new Set([40050, 49008]);

async function runGroups(
  platform: Platform,
  tenantId: string,
  settings: WecomCorpSettings,
  runId: string,
  start: Cursor,
  progress: Progress,
  mode: "full" | "diff",
) {
  const client: WecomClient = wecomClient(platform, settings);
  const cursor: Cursor = { ...start };
  if (!cursor.since) {
    cursor.since = await platform.db.tenant(tenantId, async (s) => {
      const since = await dbNow(s);
      await save(s, runId, { ...cursor, since }, progress);
      return since;
    });
  }
  for (;;) {
    const page = await client.groupChat.list({ limit: 100, ...(cursor.page ? { cursor: cursor.page } : {}) });
    const chats: Array<{ chat: GroupChat; status: number }> = [];
    for (const g of page.group_chat_list) {
      try {
        chats.push({ chat: (await client.groupChat.get(g.chat_id, true)).group_chat, status: g.status });
      } catch (err) {
        // Dismissed between list and get: left unseen, so the end of the walk dismisses it.
        if (!(isWecomApiError(err) && goneGroupErrcodes.has(err.errcode))) throw err;
      }
    }
    const next: Cursor = { ...cursor, page: page.next_cursor || undefined };
    await platform.db.tenant(tenantId, async (s) => {
      for (const c of chats) {
        if (mode === "diff") {
          if (!(await groupDiffers(s, c.chat, c.status))) continue;
          const { joined, left } = await applyGroup(s, c.chat, c.status);
          await groupTimeline(s, platform, c.chat, joined, left);
          bump(progress, "groupsRepaired");
        } else {
          await applyGroup(s, c.chat, c.status);
        }
      }
      await markGroupsSeen(
        s,
        chats.map((c) => c.chat.chat_id),
      );
      bump(progress, "groups", chats.length);
      if (!page.next_cursor && cursor.since) {
        bump(progress, "groupsDismissed", (await dismissUnseenGroups(s, platform, cursor.since)).length);
      }
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

/** Member changes a reconciliation found (their callbacks were missed) land on the timeline too. */
async function groupTimeline(
  scope: Scope,
  platform: Platform,
  chat: GroupChat,
  joined: string[],
  left: string[],
): Promise<void> {
  for (const [members, type] of [
    [joined, "wecom.group_joined"],
    [left, "wecom.group_left"],
  ] as const) {
    for (const member of members) {
      const customerId = await customerOfContact(scope, member);
      if (customerId) {
        await appendTimeline(scope, platform.events, customerId, type, {
          chatId: chat.chat_id,
          groupName: chat.name ?? "",
          foundBy: "reconciliation",
        });
      }
    }
  }
}

export function defineSyncJobs(platform: Platform) {
  defineSyncRunJob<RunRow>(platform, {
    name: syncJob,
    table: "wecom_sync_runs",
    attempts: syncAttempts,
    async run(run, tenantId) {
      const runId = run.id;
      const settings = await requireSettings(platform, tenantId);
      const progress: Progress = { ...run.progress };
      let cursor = run.cursor;
      while (cursor.step < cursor.steps.length) {
        const step = cursor.steps[cursor.step];
        if (step === "org") await runOrg(platform, tenantId, settings, runId, cursor, progress);
        else if (step === "tags") await runTags(platform, tenantId, settings, runId, cursor, progress);
        else if (step === "contacts" || step === "reconcile")
          await runContacts(platform, tenantId, settings, runId, cursor, progress, modeOf(step));
        else await runGroups(platform, tenantId, settings, runId, cursor, progress, modeOf(step));
        const fresh = await platform.db.tenant(tenantId, (s) => runs.get(s, runId));
        if (!fresh) return false;
        cursor = fresh.cursor;
      }
      return true;
    },
  });
}
