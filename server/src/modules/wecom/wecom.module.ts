import { registerEncryptedColumn } from "../../platform/crypto/index.ts";
import type { Module } from "../../platform/platform.ts";
import { actionsSweepJob, defineWecomActions } from "./jobs/actions-sweep.job.ts";
import { defineEventProcessing, sweepEventsJob } from "./jobs/process-event.job.ts";
import { defineReconcileJob, reconcileCron, reconcileTenantsJob } from "./jobs/reconcile.job.ts";
import { defineSyncJobs } from "./jobs/sync.job.ts";
import { wireDemoTenant } from "./ops/wire-demo.ts";
import { wecomActionRoutes } from "./routes/actions.routes.ts";
import { wecomCallbackRoutes } from "./routes/callback.routes.ts";
import { wecomSettingsRoutes } from "./routes/settings.routes.ts";
import { wecomReadRoutes } from "./routes/wecom.routes.ts";
import { wecomViewRoutes } from "./routes/wecom-views.routes.ts";
import { encryptedSettingColumns } from "./settings.service.ts";
import { subscribeWecomCustomerMerges } from "./subscribers/customer-merged.subscriber.ts";
import { subscribeUserDeactivated } from "./subscribers/user-deactivated.subscriber.ts";

/** The WeCom engine (SPEC §2): settings, callbacks, event processing and sync. */
export const wecomModule: Module = {
  name: "wecom",
  setup(platform) {
    for (const column of encryptedSettingColumns) {
      registerEncryptedColumn({ table: "wecom_settings", idColumn: "tenant_id", column });
    }
    defineEventProcessing(platform);
    defineSyncJobs(platform);
    defineReconcileJob(platform);
    defineWecomActions(platform);
    subscribeWecomCustomerMerges(platform);
    subscribeUserDeactivated(platform);
  },
  routes(api, platform) {
    wecomSettingsRoutes(api, platform);
    wecomReadRoutes(api, platform);
    wecomActionRoutes(api, platform);
    wecomViewRoutes(api);
  },
  async callbacks(app, platform) {
    await wecomCallbackRoutes(app, platform);
  },
  async started(platform) {
    if (platform.config.role !== "worker") {
      // The demo tenant talks to the in-app simulator; a failure here must not stop the process.
      await wireDemoTenant(platform).catch((err: unknown) =>
        platform.log.warn({ err }, "wiring the demo tenant to the WeCom sandbox failed"),
      );
    }
    if (platform.config.role !== "api") {
      // Catches event tasks whose job was lost between commit and send (a crash), every minute, and
      // once now for those an earlier process left.
      await platform.jobs.schedule(sweepEventsJob, "* * * * *", {});
      await platform.jobs.send(sweepEventsJob, { boot: true });
      await platform.jobs.schedule(reconcileTenantsJob, reconcileCron, {});
      await platform.jobs.schedule(actionsSweepJob, "* * * * *", {});
    }
  },
};
