import { AppError } from "../../../platform/errors.ts";
import type { JobToSend } from "../../../platform/jobs/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { liveCodePort } from "../../wecom/index.ts";
import { refreshMembers } from "../live-codes.service.ts";
import { renderTemplate } from "../welcome.ts";

export const afterAddJob = "channels.after-add";
export const refreshMembersJob = "channels.refresh-members";
export const refreshAllJob = "channels.refresh-all";
const attempts = 5;

/** The remark job of an add (keyed by the add). */
export function afterAddJobToSend(tenantId: string, addId: string): JobToSend {
  return { name: afterAddJob, data: { tenantId, addId }, options: { key: addId } };
}

/** A re-allocation of a code's members, keyed by what caused it (an add, a cron slot). */
export function refreshJobToSend(tenantId: string, liveCodeId: string, key: string): JobToSend {
  return { name: refreshMembersJob, data: { tenantId, liveCodeId }, options: { key } };
}

export function enqueueRefresh(platform: Platform, tenantId: string, liveCodeId: string, key: string) {
  const { name, data, options } = refreshJobToSend(tenantId, liveCodeId, key);
  return platform.jobs.send(name, data, options);
}

/**
 * The add's work that can wait for the welcome: the WeCom remark from the code's template (it needs
 * the customer's name, one more WeCom read). Outbound queue: a burst of adds sends its welcomes
 * first. Setting the same remark twice is harmless, so a retry simply calls again until it is done.
 */
export function defineAfterAdd(platform: Platform) {
  const { db, jobs, log } = platform;
  jobs.define<{ tenantId: string; addId: string }>({
    name: afterAddJob,
    queue: "outbound",
    attempts,
    backoffMs: 2_000,
    async handler({ tenantId, addId }, ctx) {
      const [row] = await db.tenant(tenantId, (s) =>
        s.query<{
          remark_status: string;
          remark_template: string | null;
          name: string;
          userid: string;
          external_userid: string;
        }>(
          `select a.remark_status, c.remark_template, c.name, a.userid, a.external_userid
             from channel_adds a join live_codes c on c.id = a.live_code_id where a.id = $1`,
          [addId],
        ),
      );
      if (row?.remark_status !== "pending" || !row.remark_template) return;
      try {
        const nickname = row.remark_template.includes("{{nickname}}")
          ? ((await liveCodePort.contactName(platform, tenantId, row.external_userid)) ?? "")
          : "";
        const remark = renderTemplate(row.remark_template, {
          channel: row.name,
          nickname,
          staff: row.userid,
        }).trim();
        if (remark) {
          await liveCodePort.setRemark(platform, tenantId, {
            userid: row.userid,
            externalUserid: row.external_userid,
            remark,
          });
        }
        await db.tenant(tenantId, (s) =>
          s.query("update channel_adds set remark_status = 'done', remark_error = null where id = $1", [
            addId,
          ]),
        );
      } catch (err) {
        const final = err instanceof AppError || ctx.attempt >= attempts;
        await db.tenant(tenantId, (s) =>
          s.query("update channel_adds set remark_status = $2, remark_error = $3 where id = $1", [
            addId,
            final ? "failed" : "pending",
            String(err instanceof Error ? err.message : err).slice(0, 500),
          ]),
        );
        if (!final) throw err;
        log.warn({ addId, err }, "live code remark refused; recorded");
      }
    },
  });

  jobs.define<{ tenantId: string; liveCodeId: string }>({
    name: refreshMembersJob,
    queue: "outbound",
    attempts,
    backoffMs: 2_000,
    async handler({ tenantId, liveCodeId }) {
      await refreshMembers(platform, tenantId, liveCodeId);
    },
  });

  /** Every few minutes: working hours begin and end, and a new day lifts yesterday's caps. */
  jobs.define<Record<string, never>>({
    name: refreshAllJob,
    queue: "system",
    async handler() {
      const rows = await db.system((s) =>
        s.query<{ id: string; tenant_id: string }>(
          `select id, tenant_id from live_codes
            where deleted_at is null and way_type = 2
              and (strategy <> 'round_robin' or daily_cap is not null or staff_options <> '{}'::jsonb)`,
        ),
      );
      const slot = Math.floor(Date.now() / 60_000);
      for (const r of rows) await enqueueRefresh(platform, r.tenant_id, r.id, `${r.id}:cron:${slot}`);
    },
  });
}
