import type { Platform } from "../../platform/platform.ts";
import { registerOpenidResolver } from "../content/index.ts";
import { oaEvents } from "./events.ts";
import { defineTemplateSendJob } from "./jobs/template-send.job.ts";
import { oaClient, requireOaSettings } from "./oa-client.ts";
import { currentAppSql, customerOfFollower } from "./ops/apply-followers.ts";
import { registerWelcomeProvider } from "./ops/welcome.ts";

export const tagFollowerJob = "official-account.tag-follower";

/**
 * The feature half of the engine (SPEC §4): template sends, the welcome reply, tracked links of
 * followers, and keeping mapped OA tags in step with Siyu tags.
 */
export function setupOaFeatures(platform: Platform) {
  defineTemplateSendJob(platform);
  registerWelcomeProvider(platform);
  registerOpenidResolver(platform, customerOfFollower);

  // TEMPLATESENDJOBFINISH can overtake the send's own bookkeeping (WeChat answers, the event comes
  // back before the msgid is stored): the engine then finds no send by msgid. A stored step with that
  // msgid proves the send is ours: fail so the delivery is retried once the send row has its msgid.
  platform.events.subscribe({
    name: "official-account.template-finish",
    events: [oaEvents.templateSendFinished],
    queue: "realtime",
    async handler(event, scope) {
      const p = event.payload as { msgId?: string; status?: string; appId?: string };
      if (!p.msgId || !p.status) return;
      // A msgid is the account's: the send of the account the event came from.
      const updated = await scope.query(
        `update oa_template_sends set status = $2, finished_at = coalesce(finished_at, now())
          where msgid = $1 and app_id = coalesce($3, ${currentAppSql}) returning id`,
        [p.msgId, p.status, p.appId ?? null],
      );
      if (updated.length) return;
      const [ours] = await scope.query("select 1 from oa_action_steps where result->>'msgid' = $1 limit 1", [
        p.msgId,
      ]);
      if (ours) throw new Error(`template send with msgid ${p.msgId} not recorded yet`);
    },
  });

  // A Siyu tag mapped to an OA tag: a follower who gets it is marked in the OA (the conditional menu follows).
  platform.events.subscribe({
    name: "official-account.mapped-tag",
    events: ["customer.tag_added", "customer.tag_removed"],
    queue: "outbound",
    async handler(event, scope) {
      const p = event.payload as { customerId?: string; tag?: string };
      if (!p.customerId || !p.tag) return;
      const [mapped] = await scope.query<{ oa_tag_id: number; app_id: string }>(
        `select oa_tag_id, app_id from oa_tag_map where app_id = ${currentAppSql} and lower(tag_name) = lower($1)`,
        [p.tag],
      );
      if (!mapped) return;
      const followers = await scope.query<{ openid: string }>(
        "select openid from oa_followers where customer_id = $1 and subscribed and app_id = $2",
        [p.customerId, mapped.app_id],
      );
      if (!followers.length) return;
      const tenantId = event.tenantId;
      const add = event.type === "customer.tag_added";
      scope.onCommit(() => {
        platform.jobs
          .send(
            tagFollowerJob,
            {
              tenantId,
              appId: mapped.app_id,
              openids: followers.map((f) => f.openid),
              tagId: mapped.oa_tag_id,
              add,
            },
            { key: `${event.id}` },
          )
          .catch((err: unknown) => platform.log.warn({ err }, "OA tag job enqueue failed"));
      });
    },
  });
  platform.jobs.define<{ tenantId: string; appId?: string; openids: string[]; tagId: number; add: boolean }>({
    name: tagFollowerJob,
    queue: "outbound",
    attempts: 5,
    backoffMs: 2000,
    async handler({ tenantId, appId, openids, tagId, add }) {
      const settings = await requireOaSettings(platform, tenantId);
      // Another account is connected now: its tags and followers are not these.
      if (appId !== undefined && appId !== settings.appId) return;
      const client = oaClient(platform, settings);
      const req = { openid_list: openids, tagid: tagId };
      if (add) await client.tags.tagMembers(req);
      else await client.tags.untagMembers(req);
    },
  });
}
