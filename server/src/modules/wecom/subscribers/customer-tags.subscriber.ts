import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { type MarkRelation, sendMarkTags } from "../jobs/mark-tags.job.ts";

interface TagEventPayload {
  customerId?: string;
  tagId?: string;
  cause?: string;
}

/**
 * Siyu tag changes on a customer → WeCom mark_tag, for tags that are synced corp tags. Changes that came
 * from WeCom (cause `sync`) are not sent back. The mark is recorded in the delivery's transaction
 * (once per event) and its job is keyed by the mark, so WeCom is asked once per relation.
 */
export function subscribeCustomerTags(platform: Platform) {
  platform.events.subscribe({
    name: "wecom.mark-customer-tags",
    events: ["customer.tag_added", "customer.tag_removed"],
    queue: "outbound",
    async handler(event, scope) {
      const p = event.payload as TagEventPayload;
      if (!p.customerId || !p.tagId || p.cause === "sync") return;
      const op = event.type === "customer.tag_added" ? "add" : "remove";
      const [corpTag] = await scope.query<{ wecom_id: string }>(
        "select wecom_id from wecom_corp_tags where siyu_tag_id = $1 and kind = 'tag' and deleted_at is null",
        [p.tagId],
      );
      if (!corpTag) return;
      const follows = await scope.query<{ userid: string; external_userid: string; has: boolean }>(
        `select f.userid, f.external_userid, $2::text = any(f.tag_ids) as has
           from wecom_contacts c join wecom_follows f on f.external_userid = c.external_userid
          where c.customer_id = $1 and f.deleted_at is null
          order by f.userid, f.external_userid`,
        [p.customerId, corpTag.wecom_id],
      );
      // Relations already in the wanted state need no call (WeCom told us so at the last sync).
      const relations: MarkRelation[] = follows
        .filter((f) => (op === "add" ? !f.has : f.has))
        .map((f) => ({ userid: f.userid, externalUserid: f.external_userid, status: "pending" }));
      if (!relations.length) return;
      const id = newId("wtm");
      const inserted = await scope.query(
        `insert into wecom_tag_marks (id, tenant_id, source_event_id, customer_id, tag_id, wecom_tag_id, op, relations)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (tenant_id, source_event_id) do nothing returning id`,
        [
          id,
          event.tenantId,
          event.id,
          p.customerId,
          p.tagId,
          corpTag.wecom_id,
          op,
          JSON.stringify(relations),
        ],
      );
      if (!inserted.length) return;
      scope.onCommit(() => {
        sendMarkTags(platform, event.tenantId, id).catch((err: unknown) =>
          platform.log.warn({ err, markId: id }, "mark-tags enqueue failed; the sweep retries"),
        );
      });
    },
  });
}
