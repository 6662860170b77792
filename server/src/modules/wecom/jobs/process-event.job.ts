import type { ExternalContactDetail, GroupChat, WecomClient } from "../../../connectors/wecom/index.ts";
import { type CorpTagGroup, isWecomApiError } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import { defineEventTasks } from "../../engine-commons/index.ts";
import { contactEventKind, contactHooks } from "../contact-hooks.ts";
import { isHandledKind, str, type WecomEventPayload } from "../events.ts";
import { applyContact, customerOfContact } from "../ops/apply-contact.ts";
import { applyGroup, dismissGroup } from "../ops/apply-group.ts";
import { ensureStaff } from "../ops/apply-org.ts";
import { applyCorpTags, markCorpTagsDeleted } from "../ops/apply-tags.ts";
import { type MemberVersionState, memberVersionState, memChangeList } from "../ops/group-version.ts";
import { applyTransferFail } from "../ops/transfers.ts";
import type { WecomCorpSettings } from "../settings.service.ts";
import { requireSettings, wecomClient } from "../wecom-client.ts";

export const processEventJob = "wecom.process-event";
export const sweepEventsJob = "wecom.sweep-events";
const eventAttempts = 8;

interface TaskRow {
  inbox_id: string | number;
  kind: string;
  payload: WecomEventPayload;
  status: string;
}

/** WeCom errcodes meaning "this contact or relation no longer exists" (protocols/wecom.md §2.2). */
const goneErrcodes = new Set([40096, 84061]);

/** What the job fetched from WeCom before its transaction: the effects are computed from it. */
type Fetched =
  | { kind: "contact"; detail: ExternalContactDetail | null }
  | { kind: "chat"; chat: GroupChat | null }
  | { kind: "tags"; groups: CorpTagGroup[] }
  | { kind: "none" };

/** What the job knows before it calls WeCom. */
interface Prepared {
  settings: WecomCorpSettings;
  versionState: MemberVersionState;
}

async function fetchFor(
  client: WecomClient,
  kind: string,
  p: WecomEventPayload,
  versionState: MemberVersionState,
): Promise<Fetched> {
  const swallowGone = async <T>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      if (isWecomApiError(err) && goneErrcodes.has(err.errcode)) return null;
      throw err;
    }
  };
  switch (kind) {
    case "change_external_contact.add_external_contact":
    case "change_external_contact.add_half_external_contact":
    case "change_external_contact.edit_external_contact":
      return {
        kind: "contact",
        detail: await swallowGone(() => client.externalContact.getAll(str(p, "ExternalUserID"))),
      };
    case "change_external_chat.create":
    case "change_external_chat.update":
      if (versionState === "current") return { kind: "none" };
      return {
        kind: "chat",
        chat: await swallowGone(async () => (await client.groupChat.get(str(p, "ChatId"), true)).group_chat),
      };
    case "change_external_tag.create":
    case "change_external_tag.update":
    case "change_external_tag.delete":
    case "change_external_tag.shuffle":
      // Never trust event order: read the current truth (the whole list is one call).
      return { kind: "tags", groups: (await client.tags.list({})).tag_group };
    default:
      return { kind: "none" };
  }
}

/**
 * The staff member's managers: their WeCom direct leaders, as Siyu users when linked. The alert keeps
 * both so the console can show it to a linked login and name the WeCom member otherwise.
 */
async function managersOf(scope: Scope, userid: string): Promise<{ userids: string[]; userIds: string[] }> {
  const [staff] = await scope.query<{ leader_userids: string[] }>(
    "select leader_userids from wecom_staff where userid = $1",
    [userid],
  );
  const userids = staff?.leader_userids ?? [];
  const linked = userids.length
    ? await scope.query<{ user_id: string }>(
        "select user_id from wecom_staff where userid = any($1::text[]) and user_id is not null",
        [userids],
      )
    : [];
  return { userids, userIds: linked.map((l) => l.user_id) };
}

async function endFollow(scope: Scope, ext: string, userid: string, endedBy: string): Promise<void> {
  await scope.query(
    `update wecom_follows set deleted_at = coalesce(deleted_at, now()), ended_by = $3, updated_at = now()
      where external_userid = $1 and userid = $2`,
    [ext, userid, endedBy],
  );
}

/** Applies one event's effects; runs in the task's transaction (once per task). */
async function applyEvent(
  scope: Scope,
  platform: Platform,
  corpId: string,
  task: { inboxId: number; kind: string; payload: WecomEventPayload },
  fetched: Fetched,
): Promise<void> {
  const p = task.payload;
  const ext = str(p, "ExternalUserID");
  const userid = str(p, "UserID");
  const at = str(p, "CreateTime");
  const base = {
    inboxId: task.inboxId,
    wecomUserid: userid || undefined,
    eventTime: at ? Number(at) : undefined,
  };
  const timeline = async (customerId: string | null, type: string, data: Record<string, unknown>) => {
    if (customerId) await appendTimeline(scope, platform.events, customerId, type, { ...base, ...data });
  };

  switch (task.kind) {
    case "change_external_contact.add_external_contact":
    case "change_external_contact.add_half_external_contact":
    case "change_external_contact.edit_external_contact": {
      if (userid) await ensureStaff(scope, userid);
      const type =
        task.kind === "change_external_contact.edit_external_contact"
          ? "wecom.contact_edited"
          : task.kind === "change_external_contact.add_half_external_contact"
            ? "wecom.contact_half_added"
            : "wecom.contact_added";
      const detail = fetched.kind === "contact" ? fetched.detail : null;
      const data = { state: str(p, "State") || undefined, hasWelcomeCode: Boolean(str(p, "WelcomeCode")) };
      const hooks = contactHooks(platform);
      const isAdd = type !== "wecom.contact_edited";
      /** Tells the hook listeners (live codes) which customer an add became. */
      const applied = async (customerId: string | null) => {
        if (!isAdd) return;
        for (const on of hooks.onApplied) {
          await on(scope, {
            inboxId: task.inboxId,
            kind: type === "wecom.contact_added" ? "added" : "half_added",
            userid,
            externalUserid: ext,
            state: data.state ?? "",
            customerId,
          });
        }
      };
      if (!detail) {
        // Gone before we could read it (deleted within seconds): record what the event said.
        const customerId = await customerOfContact(scope, ext);
        await timeline(customerId, type, { ...data, gone: true });
        await applied(customerId);
        return;
      }
      let source: string | null = null;
      if (isAdd && data.state) {
        for (const resolve of hooks.sourceOf) source ??= await resolve(scope, data.state);
      }
      const result = await applyContact(scope, platform, {
        corpId,
        contact: detail.external_contact,
        follows: detail.follow_user,
        timeline: { type, data: { ...base, ...data } },
        ...(source ? { source } : {}),
      });
      await applied(result.customerId);
      return;
    }
    case "change_external_contact.del_external_contact": {
      const byTransfer = str(p, "Source") === "DELETE_BY_TRANSFER";
      await endFollow(scope, ext, userid, byTransfer ? "transfer" : "staff_deleted");
      await timeline(await customerOfContact(scope, ext), "wecom.staff_deleted_contact", {
        source: str(p, "Source") || undefined,
      });
      return;
    }
    case "change_external_contact.del_follow_user": {
      await endFollow(scope, ext, userid, "customer_deleted");
      const customerId = await customerOfContact(scope, ext);
      await timeline(customerId, "wecom.contact_deleted_staff", { churn: true });
      const managers = await managersOf(scope, userid);
      await scope.query(
        `insert into wecom_alerts (id, tenant_id, kind, source_key, recipient_userids, recipient_user_ids, customer_id, data)
         values ($1, $2, 'churn', $3, $4, $5, $6, $7) on conflict (tenant_id, source_key) do nothing`,
        [
          newId("wal"),
          scope.tenantId,
          `inbox:${task.inboxId}`,
          managers.userids,
          managers.userIds,
          customerId,
          JSON.stringify({ staffUserid: userid, externalUserid: ext }),
        ],
      );
      return;
    }
    case "change_external_contact.transfer_fail":
      await applyTransferFail(scope, {
        externalUserid: ext,
        takeoverUserid: userid,
        reason: str(p, "FailReason"),
      });
      await timeline(await customerOfContact(scope, ext), "wecom.transfer_failed", {
        takeoverUserid: userid,
        reason: str(p, "FailReason"),
      });
      return;
    case "change_external_chat.create":
    case "change_external_chat.update": {
      const chatId = str(p, "ChatId");
      // Decided again under the task's lock: another event of this chat may have applied meanwhile.
      const state = await memberVersionState(scope, p);
      // (Not fetched: it was current before the fetch, and whatever moved it on applies its own change.)
      if (state === "current" || fetched.kind !== "chat") return;
      const chat = fetched.chat;
      const groupHooks = contactHooks(platform).onGroupChanged;
      if (!chat) {
        await dismissGroup(scope, chatId);
        for (const on of groupHooks) {
          await on(scope, {
            inboxId: task.inboxId,
            chatId,
            memberCount: 0,
            joined: [],
            left: [],
            dismissed: true,
          });
        }
        return;
      }
      const named = new Set(memChangeList(p));
      if (state === "gap") {
        platform.log.info(
          { chatId, lastMemVer: str(p, "LastMemVer"), inboxId: task.inboxId },
          "WeCom group member version gap: member list rebuilt from groupchat/get",
        );
      }
      const { joined, left } = await applyGroup(scope, chat);
      for (const on of groupHooks) {
        await on(scope, {
          inboxId: task.inboxId,
          chatId,
          memberCount: chat.member_list.length,
          joined,
          left,
          dismissed: false,
        });
      }
      for (const [members, type] of [
        [joined, "wecom.group_joined"],
        [left, "wecom.group_left"],
      ] as const) {
        for (const member of members) {
          await timeline(await customerOfContact(scope, member), type, {
            chatId,
            groupName: chat.name ?? "",
            detail: str(p, "UpdateDetail") || undefined,
            // A change this event does not name came from a missed one.
            ...(state === "gap" && !named.has(member) ? { foundBy: "member_version" } : {}),
          });
        }
      }
      return;
    }
    case "change_external_chat.dismiss": {
      const chatId = str(p, "ChatId");
      const members = await scope.query<{ customer_id: string }>(
        "select customer_id from wecom_group_members where chat_id = $1 and customer_id is not null",
        [chatId],
      );
      await dismissGroup(scope, chatId);
      for (const m of members) await timeline(m.customer_id, "wecom.group_dismissed", { chatId });
      for (const on of contactHooks(platform).onGroupChanged) {
        await on(scope, {
          inboxId: task.inboxId,
          chatId,
          memberCount: 0,
          joined: [],
          left: [],
          dismissed: true,
        });
      }
      return;
    }
    case "change_external_tag.create":
    case "change_external_tag.update":
    case "change_external_tag.delete":
    case "change_external_tag.shuffle": {
      if (fetched.kind !== "tags") return;
      await applyCorpTags(scope, fetched.groups, { complete: true, platform });
      if (task.kind === "change_external_tag.delete")
        await markCorpTagsDeleted(scope, [str(p, "Id")].filter(Boolean));
      return;
    }
  }
}

/**
 * Callback processing (SPEC §2 events). The inbox handler runs in the inbox's tenant transaction, so it
 * only records a task (durable, same transaction) and, after commit, enqueues this job keyed by the
 * inbox id. The job reads WeCom over HTTP outside any transaction, then applies the effects and marks
 * the task done in one transaction that first locks the task: a duplicate or retried job finds it
 * done and changes nothing. A periodic sweep re-enqueues tasks whose job was lost in a crash.
 */
export function defineEventProcessing(platform: Platform) {
  const { inbox, db } = platform;
  const hooks = contactHooks(platform);

  const tasks = defineEventTasks<TaskRow, Prepared, Fetched>(platform, {
    table: "wecom_event_tasks",
    job: processEventJob,
    sweepJob: sweepEventsJob,
    label: "WeCom",
    attempts: eventAttempts,
    async load(s, inboxId) {
      const [row] = await s.query<TaskRow>(
        "select inbox_id, kind, payload, status from wecom_event_tasks where inbox_id = $1",
        [inboxId],
      );
      return row;
    },
    async prepare(tenantId, task) {
      const settings = await requireSettings(platform, tenantId);
      const versionState =
        task.kind === "change_external_chat.update"
          ? await db.tenant(tenantId, (s) => memberVersionState(s, task.payload))
          : "unknown";
      return { settings, versionState };
    },
    fetch: (task, { settings, versionState }) =>
      fetchFor(wecomClient(platform, settings), task.kind, task.payload, versionState),
    // Events of one contact or chat apply one at a time (WeCom delivers them concurrently).
    lockKey(tenantId, task) {
      const subject = str(task.payload, "ExternalUserID") || str(task.payload, "ChatId");
      return subject ? `wecom:${tenantId}:${subject}` : undefined;
    },
    apply: (s, task, { settings }, fetched) =>
      applyEvent(
        s,
        platform,
        settings.corpId,
        { inboxId: task.inboxId, kind: task.kind, payload: task.payload },
        fetched,
      ),
  });

  /** The hook-facing shape of a stored contact event (none for other kinds). */
  const contactEventOf = (event: { id: number; kind: string; payload: Record<string, unknown> }) => {
    const kind = contactEventKind(event.kind);
    if (!kind) return undefined;
    const p = event.payload as WecomEventPayload;
    const at = Number(str(p, "CreateTime"));
    return {
      inboxId: event.id,
      kind,
      corpId: str(p, "ToUserName"),
      userid: str(p, "UserID"),
      externalUserid: str(p, "ExternalUserID"),
      state: str(p, "State"),
      welcomeCode: str(p, "WelcomeCode"),
      at: Number.isFinite(at) && at > 0 ? new Date(at * 1000) : new Date(),
    };
  };

  // In the callback's transaction: live codes record an add and enqueue its welcome before the 200,
  // so a burst's welcomes never queue behind the inbox jobs (see ContactHooks.onStored).
  inbox.onStored("wecom", async (events, scope) => {
    if (!hooks.onStored.length) return [];
    const contacts = events.map(contactEventOf).filter((e) => e !== undefined);
    if (!contacts.length) return [];
    const out = [];
    for (const on of hooks.onStored) out.push(...(await on(scope, contacts)));
    return out;
  });

  inbox.handle("wecom", async (event, scope) => {
    const handled = isHandledKind(event.kind);
    // Unknown kinds (messages, other events) stay visible as ignored tasks, not errors.
    const inserted = await scope.query(
      `insert into wecom_event_tasks (inbox_id, tenant_id, kind, payload, status, done_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (inbox_id) do nothing returning inbox_id`,
      [
        event.id,
        event.tenantId,
        event.kind,
        JSON.stringify(event.payload),
        handled ? "pending" : "ignored",
        handled ? null : new Date(),
      ],
    );
    const contact = contactEventOf(event);
    if (contact && inserted.length) {
      // Listeners (live codes) enqueue their own jobs on commit: the welcome must not wait for WeCom reads.
      for (const on of hooks.onEvent) await on(scope, contact);
    }
    if (handled && inserted.length) tasks.enqueueOnCommit(scope, event.tenantId, event.id);
  });

  return { sweep: tasks.sweep };
}
