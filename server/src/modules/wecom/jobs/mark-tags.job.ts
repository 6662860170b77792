import { isWecomApiError } from "../../../connectors/wecom/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import { errcodeOf, errorText, isTransient, runStep, tenantClient } from "../ops/action-steps.ts";

export const markTagsJob = "wecom.mark-tags";
const attempts = 6;

export interface MarkRelation {
  userid: string;
  externalUserid: string;
  status: "pending" | "done" | "gone" | "failed";
  errcode?: number;
}

interface MarkRow {
  id: string;
  customer_id: string;
  tag_id: string;
  wecom_tag_id: string;
  op: "add" | "remove";
  relations: MarkRelation[];
  status: string;
}

/** WeCom errcodes meaning the relation is gone (protocols/wecom.md §2.2): nothing left to mark. */
const goneErrcodes = new Set([40096, 84061]);

export const sendMarkTags = (platform: Platform, tenantId: string, markId: string) =>
  platform.jobs.send(markTagsJob, { tenantId, markId }, { key: markId });

/**
 * mark_tag for each follow relation of a customer (SPEC §2 actions). Each relation's call is a step:
 * a retry after a 45009 or a crash calls WeCom only for relations not yet done. The final transaction
 * updates the local follows' tags, writes the timeline entry and closes the mark, once.
 */
export function defineMarkTags(platform: Platform) {
  const { db, jobs } = platform;
  jobs.define<{ tenantId: string; markId: string }>({
    name: markTagsJob,
    queue: "outbound",
    attempts,
    backoffMs: 2_000,
    async handler({ tenantId, markId }, ctx) {
      const [mark] = await db.tenant(tenantId, (s) =>
        s.query<MarkRow>("select * from wecom_tag_marks where id = $1", [markId]),
      );
      if (mark?.status !== "pending") return;
      const client = await tenantClient(platform, tenantId);
      const relations = mark.relations.map((r) => ({ ...r }));
      let transient: unknown = null;
      for (const r of relations) {
        if (r.status !== "pending") continue;
        try {
          await runStep(platform, tenantId, `mark:${markId}:${r.userid}:${r.externalUserid}`, async () => {
            await client.tags.mark({
              userid: r.userid,
              external_userid: r.externalUserid,
              ...(mark.op === "add" ? { add_tag: [mark.wecom_tag_id] } : { remove_tag: [mark.wecom_tag_id] }),
            });
            return { ok: true };
          });
          r.status = "done";
        } catch (err) {
          if (isWecomApiError(err) && goneErrcodes.has(err.errcode)) {
            r.status = "gone";
            r.errcode = err.errcode;
          } else if (isTransient(err) && ctx.attempt < attempts) {
            transient = err;
            break;
          } else {
            r.status = "failed";
            const code = errcodeOf(err);
            if (code !== null) r.errcode = code;
            await db.tenant(tenantId, (s) =>
              s.query("update wecom_tag_marks set error = $2 where id = $1", [markId, errorText(err)]),
            );
          }
        }
      }
      if (transient) {
        await db.tenant(tenantId, (s) =>
          s.query(
            "update wecom_tag_marks set relations = $2, error = $3 where id = $1 and status = 'pending'",
            [markId, JSON.stringify(relations), errorText(transient)],
          ),
        );
        throw transient;
      }
      await db.tenant(tenantId, async (s) => {
        const [locked] = await s.query<{ status: string }>(
          "select status from wecom_tag_marks where id = $1 for update",
          [markId],
        );
        if (locked?.status !== "pending") return;
        const failed = relations.some((r) => r.status === "failed");
        for (const r of relations.filter((x) => x.status === "done")) {
          await s.query(
            mark.op === "add"
              ? `update wecom_follows set tag_ids = array(select distinct unnest(tag_ids || array[$3::text])), updated_at = now()
                  where external_userid = $1 and userid = $2`
              : `update wecom_follows set tag_ids = array_remove(tag_ids, $3::text), updated_at = now()
                  where external_userid = $1 and userid = $2`,
            [r.externalUserid, r.userid, mark.wecom_tag_id],
          );
        }
        await s.query(
          "update wecom_tag_marks set relations = $2, status = $3, done_at = now() where id = $1",
          [markId, JSON.stringify(relations), failed ? "failed" : "done"],
        );
        await appendTimeline(
          s,
          platform.events,
          mark.customer_id,
          mark.op === "add" ? "wecom.tag_marked" : "wecom.tag_unmarked",
          {
            markId,
            tagId: mark.tag_id,
            wecomTagId: mark.wecom_tag_id,
            relations: relations.map((r) => ({
              userid: r.userid,
              externalUserid: r.externalUserid,
              status: r.status,
            })),
          },
        );
      });
    },
  });
}
