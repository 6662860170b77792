import type { AddMomentTaskRequest, MomentAttachment } from "../../../connectors/wecom/index.ts";
import { isWecomApiError } from "../../../connectors/wecom/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { errorText, isTransient, pollDelayMs, runStep, tenantClient } from "../ops/action-steps.ts";

export const momentJob = "wecom.moment";
const attempts = 6;

interface MomentData {
  tenantId: string;
  id: string;
  /** 0 creates the task (add_moment_task) then polls; n > 0 is the n-th poll. */
  seq: number;
}

export interface StoredMoment {
  text: string;
  attachments: Array<{ type: "image" | "video" | "link"; mediaId: string; url?: string; title?: string }>;
  visible_range: NonNullable<AddMomentTaskRequest["visible_range"]>;
}

function toWecom(a: StoredMoment["attachments"][number]): MomentAttachment {
  if (a.type === "link")
    return {
      msgtype: "link",
      link: { url: a.url ?? "", media_id: a.mediaId, ...(a.title ? { title: a.title } : {}) },
    };
  if (a.type === "video") return { msgtype: "video", video: { media_id: a.mediaId } };
  return { msgtype: "image", image: { media_id: a.mediaId } };
}

export const sendMomentJob = (platform: Platform, tenantId: string, id: string, seq = 0, delayMs = 0) =>
  platform.jobs.send<MomentData>(
    momentJob,
    { tenantId, id, seq },
    { key: `${id}:${seq}`, ...(delayMs ? { delayMs } : {}) },
  );

/**
 * Moments task (客户朋友圈, SPEC §2): add_moment_task once (its jobid is a stored step), then
 * get_moment_task_result until status 3; the result (moment_id, invalid senders/tags) is stored.
 */
export function defineMomentJob(platform: Platform) {
  const { db, jobs } = platform;
  const finish = (
    tenantId: string,
    id: string,
    fields: { status: string; error?: string; momentId?: string; result?: unknown },
  ) =>
    db.tenant(tenantId, (s) =>
      s.query(
        `update wecom_moment_tasks set status = $2, error = $3, moment_id = coalesce($4, moment_id), result = coalesce($5, result),
                finished_at = case when $2 in ('completed', 'failed') then now() else finished_at end, updated_at = now()
          where id = $1`,
        [
          id,
          fields.status,
          fields.error ?? null,
          fields.momentId ?? null,
          fields.result === undefined ? null : JSON.stringify(fields.result),
        ],
      ),
    );

  jobs.define<MomentData>({
    name: momentJob,
    queue: "outbound",
    attempts,
    backoffMs: 2_000,
    async handler({ tenantId, id, seq }, ctx) {
      const [row] = await db.tenant(tenantId, (s) =>
        s.query<StoredMoment & { status: string; jobid: string | null }>(
          "select status, jobid, text, attachments, visible_range from wecom_moment_tasks where id = $1",
          [id],
        ),
      );
      if (!row || row.status === "completed" || row.status === "failed") return;
      const client = await tenantClient(platform, tenantId);
      try {
        let jobid = row.jobid;
        if (!jobid) {
          const res = await runStep(platform, tenantId, `moment:${id}`, async () => {
            const r = await client.moments.addTask({
              ...(row.text ? { text: { content: row.text } } : {}),
              ...(row.attachments.length ? { attachments: row.attachments.map(toWecom) } : {}),
              visible_range: row.visible_range,
            });
            return { jobid: r.jobid };
          });
          jobid = res.jobid;
          await db.tenant(tenantId, (s) =>
            s.query(
              "update wecom_moment_tasks set jobid = $2, status = 'running', updated_at = now() where id = $1",
              [id, jobid],
            ),
          );
        }
        const result = await client.moments.taskResult(jobid);
        if (result.status === 3) {
          const r = result.result;
          if (r && r.errcode !== 0)
            await finish(tenantId, id, { status: "failed", error: `${r.errcode} ${r.errmsg}`, result: r });
          else
            await finish(tenantId, id, {
              status: "completed",
              ...(r?.moment_id ? { momentId: r.moment_id } : {}),
              result: r ?? {},
            });
          return;
        }
        await db.tenant(tenantId, (s) =>
          s.query("update wecom_moment_tasks set polls = polls + 1, updated_at = now() where id = $1", [id]),
        );
        await sendMomentJob(platform, tenantId, id, seq + 1, pollDelayMs(seq));
      } catch (err) {
        // 40088: the jobid expired (24 h) — final, like any non-transient error.
        const final =
          !isTransient(err) || ctx.attempt >= attempts || (isWecomApiError(err) && err.errcode === 40088);
        if (final) {
          await finish(tenantId, id, { status: "failed", error: errorText(err) });
          return;
        }
        await db.tenant(tenantId, (s) =>
          s.query("update wecom_moment_tasks set error = $2, updated_at = now() where id = $1", [
            id,
            errorText(err),
          ]),
        );
        throw err;
      }
    },
  });
}
