import { isOaApiError } from "../../../connectors/official-account/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { oaClient, requireOaSettings } from "../oa-client.ts";
import { runOaStep } from "../ops/oa-steps.ts";
import { enqueueMenuRemoval, removeOaMenuJob, retrySuffix } from "./menu-removal.enqueue.ts";

export { enqueueMenuRemoval, removeOaMenuJob };
export const sweepOaMenuRemovalsJob = "official-account.sweep-menu-removals";
/** Attempts of a removal; after the last, a removal still failing is recorded failed (never retried forever). */
export const menuRemovalAttempts = 5;

/** WeChat no longer has it: no such conditional menu (65301), no menu at all (46002). */
const alreadyGone = new Set([65301, 46002]);

type RemovalResult = { ok: true; gone?: boolean } | { ok: false; errcode: number; error: string };

interface MenuRow {
  id: string;
  tag_name: string | null;
  menuid: string | null;
  removal: string | null;
  removal_retries: number;
  replaced: boolean;
  app_id: string;
}

const message = (err: unknown) => String(err instanceof Error ? err.message : err).slice(0, 500);

/**
 * Removes from WeChat a menu deleted in Siyu: a conditional menu with menu/delconditional and the
 * menuid WeChat gave on publish; the default with menu/delete (which drops every conditional menu
 * too, so the tenant's live conditional menus go back to draft until the next publish; a default
 * replaced by a newer published one is left alone, menu/create already replaced it). The call is
 * a stored step (`oa_action_steps`, key `menu-remove:<id>:<menuid|default>@<appid>`): a retried job replays
 * the answer instead of calling again. WeChat's refusals are the step's result and end the removal
 * `failed` with the errcode at once; a menu WeChat no longer has counts as removed; transient
 * failures retry with backoff, their last error shown on the row, and after the last attempt the
 * removal is `failed`. An operator may then retry it (`removal_retries` + 1: the step key gets
 * `:r<n>`, so the retry calls WeChat again instead of replaying the stored refusal) or dismiss it.
 */
export function defineMenuRemovalJobs(platform: Platform) {
  platform.jobs.define<{ tenantId: string; menuId: string; attempts?: number }>({
    name: removeOaMenuJob,
    queue: "outbound",
    attempts: menuRemovalAttempts,
    backoffMs: 3000,
    async handler({ tenantId, menuId, attempts }, ctx) {
      const db = platform.db;
      const [m] = await db.tenant(tenantId, (s) =>
        s.query<MenuRow>(
          `select id, tag_name, menuid, removal, removal_retries, app_id,
                  (tag_name is null and exists (select 1 from oa_menus n where n.tag_name is null
                     and n.deleted_at is null and n.published_at > m.deleted_at)) as replaced
             from oa_menus m where id = $1`,
          [menuId],
        ),
      );
      if (m?.removal !== "pending") return;
      if (m.replaced) {
        // A new default menu was published since (menu/create replaced this one): deleting now
        // would take the new menus down with it.
        await db.tenant(tenantId, (s) =>
          s.query("update oa_menus set removal = 'removed' where id = $1 and removal = 'pending'", [m.id]),
        );
        return;
      }
      let result: RemovalResult;
      try {
        const settings = await requireOaSettings(platform, tenantId);
        // The state is another account's now (switched since): parked with it, removed when it is back.
        if (settings.appId !== m.app_id) return;
        const client = oaClient(platform, settings);
        const key = `menu-remove:${m.id}:${m.tag_name === null ? "default" : m.menuid}@${m.app_id}${retrySuffix(m.removal_retries)}`;
        result = await runOaStep<RemovalResult>(platform, tenantId, key, async () => {
          try {
            if (m.tag_name === null) await client.menu.delete();
            else if (m.menuid) await client.menu.delConditional(m.menuid);
            return { ok: true };
          } catch (err) {
            if (isOaApiError(err) && err.kind === "api" && alreadyGone.has(err.errcode))
              return { ok: true, gone: true };
            if (isOaApiError(err) && err.kind === "api" && !err.retryable)
              return { ok: false, errcode: err.errcode, error: `${err.errcode} ${err.errmsg}`.slice(0, 500) };
            throw err;
          }
        });
      } catch (err) {
        const last = ctx.attempt >= (attempts ?? menuRemovalAttempts);
        await db.tenant(tenantId, (s) =>
          s.query(
            `update oa_menus set error = $2, removal = case when $3 then 'failed' else removal end
              where id = $1 and removal = 'pending' and app_id = $4`,
            [m.id, message(err), last, m.app_id],
          ),
        );
        if (last) return;
        throw err;
      }
      await db.tenant(tenantId, async (s) => {
        const [done] = await s.query(
          `update oa_menus set removal = $2, error = $3 where id = $1 and removal = 'pending' and app_id = $4
            returning id`,
          [m.id, result.ok ? "removed" : "failed", result.ok ? null : result.error, m.app_id],
        );
        if (!done || !result.ok || m.tag_name !== null) return;
        // menu/delete took every conditional menu with it: they are live no more.
        await s.query(
          `update oa_menus set menuid = null, status = 'draft', updated_at = now()
            where tag_name is not null and deleted_at is null and menuid is not null and app_id = $1`,
          [m.app_id],
        );
      });
    },
  });

  // A removal whose job was lost (a crash between the delete's commit and the enqueue) is sent again;
  // the job key keeps a queued or finished one from running twice.
  platform.jobs.define<Record<string, never>>({
    name: sweepOaMenuRemovalsJob,
    queue: "system",
    async handler() {
      const rows = await platform.db.system((s) =>
        s.query<{ id: string; tenant_id: string; removal_retries: number; app_id: string }>(
          `select id, tenant_id, removal_retries, app_id from oa_menus
            where removal = 'pending' and updated_at <= now() - interval '1 minute' limit 1000`,
        ),
      );
      for (const r of rows)
        await enqueueMenuRemoval(platform, r.tenant_id, r.id, r.app_id, r.removal_retries);
    },
  });
}
