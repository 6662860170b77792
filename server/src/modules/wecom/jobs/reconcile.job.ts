import type { Platform } from "../../../platform/platform.ts";
import { startSync } from "./sync.job.ts";

export const reconcileTenantsJob = "wecom.reconcile-tenants";
/** Hourly, off the full hour (WeCom's own busy minute). */
export const reconcileCron = "17 * * * *";

/**
 * Starts a `reconcile` run for every tenant with WeCom configured, unless one of its runs is still
 * queued or running (a long full sync is already the same repair). Returns the tenants started.
 */
export async function reconcileAllTenants(platform: Platform): Promise<string[]> {
  const tenants = await platform.db.system((s) =>
    s.query<{ tenant_id: string }>(
      `select w.tenant_id from wecom_settings w
        where not exists (select 1 from wecom_sync_runs r
                           where r.tenant_id = w.tenant_id and r.status in ('queued', 'running'))
        order by w.tenant_id`,
    ),
  );
  const started: string[] = [];
  for (const t of tenants) {
    try {
      await startSync(platform, t.tenant_id, "reconcile", null);
      started.push(t.tenant_id);
    } catch (err) {
      platform.log.warn({ err, tenantId: t.tenant_id }, "could not start a WeCom reconciliation");
    }
  }
  return started;
}

/** The backup channel's clock: a periodic reconciliation of every configured tenant (SPEC §2). */
export function defineReconcileJob(platform: Platform) {
  platform.jobs.define<Record<string, never>>({
    name: reconcileTenantsJob,
    queue: "system",
    handler: async () => {
      const started = await reconcileAllTenants(platform);
      if (started.length) platform.log.info({ tenants: started.length }, "WeCom reconciliation started");
    },
  });
}
