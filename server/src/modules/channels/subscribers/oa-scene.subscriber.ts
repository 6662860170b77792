import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { addTags, appendTimeline, refineCustomerSource } from "../../customers/index.ts";
import {
  connectedOaAppId,
  oaClient,
  oaCustomerSource,
  oaEvents,
  requireOaSettings,
} from "../../official-account/index.ts";

export const tagOaFollowerJob = "channels.oa-qr-tag";

interface OaFact {
  customerId: string;
  openid: string;
  appId?: string;
  inboxId: number;
  eventTime: number;
  scene?: string | null;
}

/**
 * Channel attribution of Official Account QR codes: a follow (subscribe with `qrscene_<scene>`) or a
 * SCAN with a code's scene records the fact for the code's statistics (one row per callback: the
 * inbox id is its identity, so WeChat's retries and redelivered events count once), puts it on the
 * customer's timeline, makes the code the customer's source when the OA was their only source, and
 * gives them the code's tags in Siyu and — by a job, outside the transaction — in the OA. An unfollow
 * of a follower a code brought is the code's delete (within 24 h of the follow or not).
 */
export function subscribeOaScenes(platform: Platform) {
  platform.events.subscribe({
    name: "channels.oa-scene",
    events: [oaEvents.subscribed, oaEvents.scanned, oaEvents.unsubscribed],
    queue: "realtime",
    ordered: true,
    async handler(event, scope) {
      const p = event.payload as unknown as OaFact;
      if (!p.openid || !p.inboxId) return;
      // Codes, scenes and openids are one account's: the account the callback came to.
      const appId = p.appId ?? (await connectedOaAppId(scope));
      const at = new Date((Number(p.eventTime) || Math.floor(Date.parse(event.at) / 1000)) * 1000);

      if (event.type === oaEvents.unsubscribed) {
        // The follow being ended: the follower's latest follow through a code, if no unfollow followed it.
        const [last] = await scope.query<{ qr_code_id: string; at: Date }>(
          `select qr_code_id, at from oa_qr_events
            where app_id = $4 and openid = $1 and kind = 'subscribe' and at <= $2
              and not exists (select 1 from oa_qr_events u where u.app_id = $4 and u.openid = $1
                                 and u.kind = 'unsubscribe' and u.at >= oa_qr_events.at and u.inbox_id <> $3)
            order by at desc limit 1`,
          [p.openid, at, p.inboxId, appId],
        );
        if (!last) return;
        await scope.query(
          `insert into oa_qr_events (id, tenant_id, inbox_id, qr_code_id, kind, openid, customer_id, at, within_24h, app_id)
           values ($1, $2, $3, $4, 'unsubscribe', $5, $6, $7, $8, $9) on conflict (tenant_id, inbox_id) do nothing`,
          [
            newId("oqe"),
            scope.tenantId,
            p.inboxId,
            last.qr_code_id,
            p.openid,
            p.customerId,
            at,
            at.getTime() - last.at.getTime() <= 24 * 3600_000,
            appId,
          ],
        );
        return;
      }

      const scene = p.scene ?? null;
      if (!scene) return;
      const [code] = await scope.query<{
        id: string;
        name: string;
        tags: string[];
        oa_tag_ids: number[];
        deleted_at: Date | null;
      }>("select id, name, tags, oa_tag_ids, deleted_at from oa_qr_codes where scene = $1 and app_id = $2", [
        scene,
        appId,
      ]);
      if (!code) return;
      const kind = event.type === oaEvents.subscribed ? "subscribe" : "scan";
      const inserted = await scope.query(
        `insert into oa_qr_events (id, tenant_id, inbox_id, qr_code_id, kind, openid, customer_id, at, app_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, inbox_id) do nothing returning id`,
        [newId("oqe"), scope.tenantId, p.inboxId, code.id, kind, p.openid, p.customerId, at, appId],
      );
      if (!inserted.length || !p.customerId) return;
      await appendTimeline(
        scope,
        platform.events,
        p.customerId,
        kind === "subscribe" ? "channel.oa_qr_followed" : "channel.oa_qr_scanned",
        { qrCodeId: code.id, qrCode: code.name, scene, openid: p.openid, deleted: Boolean(code.deleted_at) },
      );
      if (code.deleted_at) return;
      await refineCustomerSource(scope, p.customerId, `oa_qr:${code.id}`, [oaCustomerSource]);
      if (code.tags.length)
        await addTags(scope, { platform, actor: {}, cause: "rule" }, p.customerId, code.tags);
      if (code.oa_tag_ids.length) {
        const tenantId = event.tenantId;
        scope.onCommit(() => {
          platform.jobs
            .send(
              tagOaFollowerJob,
              { tenantId, appId, openid: p.openid, tagIds: code.oa_tag_ids },
              { key: `${tenantId}:${p.inboxId}` },
            )
            .catch((err: unknown) => platform.log.warn({ err }, "OA QR tag job enqueue failed"));
        });
      }
    },
  });

  // OA tags of the code (batchtagging is idempotent: a retry marks the same tags again).
  platform.jobs.define<{ tenantId: string; appId?: string; openid: string; tagIds: number[] }>({
    name: tagOaFollowerJob,
    queue: "outbound",
    attempts: 5,
    backoffMs: 2000,
    async handler({ tenantId, appId, openid, tagIds }) {
      const settings = await requireOaSettings(platform, tenantId);
      // The follower and the tag ids are the code's account's: not another account connected since.
      if (appId !== undefined && appId !== settings.appId) return;
      const client = oaClient(platform, settings);
      for (const tagid of tagIds) await client.tags.tagMembers({ openid_list: [openid], tagid });
    },
  });
}
