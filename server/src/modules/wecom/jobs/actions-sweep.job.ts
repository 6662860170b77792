import type { Platform } from "../../../platform/platform.ts";
import { subscribeCustomerTags } from "../subscribers/customer-tags.subscriber.ts";
import { defineMarkTags, sendMarkTags } from "./mark-tags.job.ts";
import { defineMassMessageJobs, sendMassMessage } from "./mass-message.job.ts";
import { defineMomentJob, sendMomentJob } from "./moment.job.ts";
import { defineTransferJobs, sendTransfer } from "./transfer.job.ts";

export const actionsSweepJob = "wecom.actions-sweep";

/**
 * Every WeCom action's jobs and subscriber, plus a sweep: an action row committed whose first job was
 * lost (the process died between commit and send) is sent again. The first job's key is the row id,
 * so a job that exists already is not sent twice.
 */
export function defineWecomActions(platform: Platform) {
  subscribeCustomerTags(platform);
  defineMarkTags(platform);
  defineMassMessageJobs(platform);
  defineMomentJob(platform);
  defineTransferJobs(platform);

  platform.jobs.define<Record<string, never>>({
    name: actionsSweepJob,
    queue: "system",
    async handler() {
      const stale = "created_at <= now() - interval '2 minutes'";
      const rows = await platform.db.system((s) =>
        s.query<{ kind: string; tenant_id: string; id: string }>(
          `(select 'mark' as kind, tenant_id, id from wecom_tag_marks where status = 'pending' and ${stale} limit 200)
           union all (select 'mass', tenant_id, id from wecom_mass_messages where status = 'queued' and ${stale}
                        and (not_before is null or not_before <= now() - interval '2 minutes') limit 200)
           union all (select 'moment', tenant_id, id from wecom_moment_tasks where status = 'queued' and ${stale} limit 200)
           union all (select 'transfer', tenant_id, id from wecom_transfers where status = 'queued' and ${stale} limit 200)`,
        ),
      );
      for (const r of rows) {
        if (r.kind === "mark") await sendMarkTags(platform, r.tenant_id, r.id);
        else if (r.kind === "mass") await sendMassMessage(platform, r.tenant_id, r.id);
        else if (r.kind === "moment") await sendMomentJob(platform, r.tenant_id, r.id);
        else await sendTransfer(platform, r.tenant_id, r.id);
      }
    },
  });
}
