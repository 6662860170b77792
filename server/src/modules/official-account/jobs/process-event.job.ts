import { isOaApiError, type OaUserInfo, oaErrcodes } from "../../../connectors/official-account/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { optOutFromKeyword } from "../../contact-policy/index.ts";
import { appendTimeline } from "../../customers/index.ts";
import { defineEventTasks } from "../../engine-commons/index.ts";
import {
  field,
  isHandledOaKind,
  type OaEventPayload,
  oaEvents,
  oaInboxPlatform,
  oaReceivedForAppId,
  sceneOf,
} from "../events.ts";
import { oaClient, requireOaSettings } from "../oa-client.ts";
import { applyFollowers, customerOfFollower } from "../ops/apply-followers.ts";
import type { OaAccountSettings } from "../settings.service.ts";

export const processOaEventJob = "official-account.process-event";
export const sweepOaEventsJob = "official-account.sweep-events";
const eventAttempts = 8;

interface TaskRow {
  inbox_id: string | number;
  kind: string;
  openid: string;
  payload: OaEventPayload;
  status: string;
  app_id: string | null;
}

const templateStatus = (s: string) =>
  s === "success" ? "success" : s.includes("user block") ? "failed_user_block" : "failed_system";

/** Applies one event's effects in the task's transaction (once per task). */
async function applyEvent(
  scope: Scope,
  platform: Platform,
  appId: string,
  task: { inboxId: number; kind: string; payload: OaEventPayload },
  info: OaUserInfo | null,
): Promise<void> {
  const p = task.payload;
  const openid = field(p, "FromUserName");
  const at = Number(field(p, "CreateTime")) || Math.floor(Date.now() / 1000);
  const base = { openid, appId, inboxId: task.inboxId, eventTime: at };
  let customerId = await customerOfFollower(scope, openid, appId);
  if (info) {
    const [applied] = await applyFollowers(scope, platform, { appId, infos: [info] });
    customerId = applied?.customerId ?? customerId;
  } else if (!customerId) {
    // Never read (user/info refused): the follower is still a person who did something.
    const subscribed = task.kind !== "event.unsubscribe";
    const [applied] = await applyFollowers(scope, platform, {
      appId,
      infos: [{ openid, subscribe: subscribed ? 1 : 0 }],
    });
    customerId = applied?.customerId ?? null;
  }
  if (!customerId) return;
  const fact = (type: string, data: Record<string, unknown>) =>
    appendTimeline(scope, platform.events, customerId as string, type, { ...base, ...data });
  const eventKey = field(p, "EventKey");
  await scope.query(
    "update oa_followers set last_interaction_at = greatest(last_interaction_at, to_timestamp($2)), updated_at = now() where openid = $1 and app_id = $3",
    [openid, at, appId],
  );

  switch (task.kind) {
    case "event.subscribe": {
      const scene = sceneOf(task.kind, eventKey);
      // user/info is the truth when it answered; otherwise the event, unless a later unfollow applied.
      await scope.query(
        `update oa_followers set subscribed = true, unsubscribed_at = null,
           subscribe_time = greatest(subscribe_time, to_timestamp($2)), synced_at = now(),
           qr_scene = coalesce(qr_scene, $3), updated_at = now()
         where openid = $1 and app_id = $5
           and ($4 or unsubscribed_at is null or unsubscribed_at <= to_timestamp($2))`,
        [openid, at, scene, info === null, appId],
      );
      await fact(oaEvents.subscribed, {
        scene,
        ticket: field(p, "Ticket") || undefined,
        subscribeScene: info?.subscribe_scene,
        unionid: info?.unionid,
      });
      return;
    }
    case "event.unsubscribe":
      // Out of order: a subscribe newer than this unfollow wins.
      await scope.query(
        `update oa_followers set subscribed = false, unsubscribed_at = to_timestamp($2), updated_at = now()
          where openid = $1 and app_id = $3 and (subscribe_time is null or subscribe_time <= to_timestamp($2))`,
        [openid, at, appId],
      );
      await fact(oaEvents.unsubscribed, {});
      return;
    case "event.SCAN":
      await fact(oaEvents.scanned, { scene: eventKey, ticket: field(p, "Ticket") || undefined });
      return;
    case "event.CLICK":
      await fact(oaEvents.menuClicked, { key: eventKey });
      return;
    case "event.VIEW":
      await fact(oaEvents.menuViewed, { url: eventKey, menuId: field(p, "MenuId") || undefined });
      return;
    case "event.LOCATION":
      await fact(oaEvents.locationReported, {
        latitude: Number(field(p, "Latitude")),
        longitude: Number(field(p, "Longitude")),
        precision: Number(field(p, "Precision")),
      });
      return;
    case "event.TEMPLATESENDJOBFINISH": {
      const msgId = field(p, "MsgID");
      const status = templateStatus(field(p, "Status"));
      const [send] = await scope.query<{ id: string }>(
        `update oa_template_sends set status = $2, finished_at = now() where msgid = $1 and app_id = $3 returning id`,
        [msgId, status, appId],
      );
      await fact(oaEvents.templateSendFinished, {
        msgId,
        status,
        rawStatus: field(p, "Status"),
        sendId: send?.id,
      });
      return;
    }
    default: {
      if (!task.kind.startsWith("message.")) return;
      const msgType = field(p, "MsgType");
      const data: Record<string, unknown> = { msgType, msgId: field(p, "MsgId") || undefined };
      if (msgType === "text") data.content = field(p, "Content").slice(0, 2000);
      if (field(p, "MediaId")) data.mediaId = field(p, "MediaId");
      if (field(p, "PicUrl")) data.picUrl = field(p, "PicUrl");
      if (field(p, "Recognition")) data.recognition = field(p, "Recognition").slice(0, 2000);
      if (msgType === "location") {
        data.latitude = Number(field(p, "Location_X"));
        data.longitude = Number(field(p, "Location_Y"));
        data.label = field(p, "Label");
      }
      if (msgType === "link") {
        data.title = field(p, "Title");
        data.url = field(p, "Url");
      }
      await fact(oaEvents.messageReceived, data);
      // "TD" / "退订" / "unsubscribe" / "取消订阅" (the whole message): no more OA marketing templates
      // for this customer (contact policy, source keyword); transactional ones still go when exempt.
      if (msgType === "text")
        await optOutFromKeyword(scope, platform.events, {
          customerId,
          text: field(p, "Content"),
          channel: "oa_template",
          via: "official-account",
        });
    }
  }
}

/**
 * Callback processing (SPEC §4), shaped as WeCom's (the shared event tasks): the inbox handler records
 * a task in the inbox transaction and enqueues the job on commit; the job reads user/info outside any
 * transaction when the follower is new or followed (unionid, scene), then applies the effects and marks
 * the task done in one transaction that locks it first (a duplicate job changes nothing). A sweep
 * re-enqueues tasks whose job was lost in a crash.
 */
export function defineOaEventProcessing(platform: Platform) {
  const { inbox } = platform;
  const tasks = defineEventTasks<TaskRow & { known: string | null }, OaAccountSettings, OaUserInfo | null>(
    platform,
    {
      table: "oa_event_tasks",
      job: processOaEventJob,
      sweepJob: sweepOaEventsJob,
      label: "Official Account",
      attempts: eventAttempts,
      async load(s, inboxId) {
        const [row] = await s.query<TaskRow>(
          "select inbox_id, kind, openid, payload, status, app_id from oa_event_tasks where inbox_id = $1",
          [inboxId],
        );
        return row ? { ...row, known: await customerOfFollower(s, row.openid) } : undefined;
      },
      async prepare(tenantId, task) {
        const settings = await requireOaSettings(platform, tenantId);
        // Received for an account the tenant has since switched away from: its openids mean nothing to
        // the connected account, and its token is gone. Set aside, visibly.
        if (task.app_id && task.app_id !== settings.appId)
          return {
            setAside: `received for account ${task.app_id}; the tenant has since connected ${settings.appId}`,
          };
        return settings;
      },
      async fetch(task, settings) {
        // user/info for a follow (unionid, scene) and for a follower Siyu has never seen.
        const needInfo =
          task.kind === "event.subscribe" || (!task.known && task.kind !== "event.TEMPLATESENDJOBFINISH");
        if (!needInfo) return null;
        try {
          return await oaClient(platform, settings).users.info(task.openid);
        } catch (err) {
          if (isOaApiError(err) && err.errcode === oaErrcodes.invalidOpenid) return null;
          throw err;
        }
      },
      // Events of one follower apply one at a time (WeChat delivers them concurrently).
      lockKey: (tenantId, task) => `oa:${tenantId}:${task.openid}`,
      apply: (s, task, settings, info) =>
        applyEvent(
          s,
          platform,
          settings.appId,
          { inboxId: task.inboxId, kind: task.kind, payload: task.payload },
          info,
        ),
    },
  );

  inbox.handle(oaInboxPlatform, async (event, scope) => {
    const handled = isHandledOaKind(event.kind);
    const p = event.payload as OaEventPayload;
    const inserted = await scope.query(
      `insert into oa_event_tasks (inbox_id, tenant_id, kind, openid, payload, status, done_at, app_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (inbox_id) do nothing returning inbox_id`,
      [
        event.id,
        event.tenantId,
        event.kind,
        field(p, "FromUserName").slice(0, 100),
        JSON.stringify(p),
        handled ? "pending" : "ignored",
        handled ? null : new Date(),
        field(p, oaReceivedForAppId) || null,
      ],
    );
    // The account's original id (gh_…), for display and passive replies' FromUserName; only from
    // the connected account's own messages (a late one of a previous account must not overwrite it).
    const original = field(p, "ToUserName");
    const forApp = field(p, oaReceivedForAppId);
    if (original)
      await scope.query(
        `update oa_settings set original_id = $1
          where original_id is distinct from $1 and ($2 = '' or app_id = $2)`,
        [original.slice(0, 64), forApp],
      );
    if (handled && inserted.length) tasks.enqueueOnCommit(scope, event.tenantId, event.id);
  });

  return { sweep: tasks.sweep };
}
