import { registerEncryptedColumn } from "../../platform/crypto/index.ts";
import type { Module } from "../../platform/platform.ts";
import { setupOaFeatures } from "./features.ts";
import { registerOaFlowHooks } from "./flow-hooks.ts";
import { defineMenuRemovalJobs, sweepOaMenuRemovalsJob } from "./jobs/menu-removal.job.ts";
import { defineOaEventProcessing, sweepOaEventsJob } from "./jobs/process-event.job.ts";
import { defineOaSyncJobs } from "./jobs/sync.job.ts";
import { keywordReplyProvider } from "./ops/keyword-replies.ts";
import { wireOaDemoTenant } from "./ops/wire-demo.ts";
import { registerPassiveReplyProvider } from "./passive-replies.ts";
import { oaCallbackRoutes } from "./routes/callback.routes.ts";
import { oaFeatureRoutes } from "./routes/features.routes.ts";
import { oaRoutes } from "./routes/official-account.routes.ts";
import { oaSettingsRoutes } from "./routes/settings.routes.ts";
import { encryptedSettingColumns } from "./settings.service.ts";
import { subscribeOaCustomerMerges } from "./subscribers/customer-merged.subscriber.ts";

/** The Official Account engine (SPEC §4): settings, callbacks with passive replies, events, follower sync. */
export const officialAccountModule: Module = {
  name: "official-account",
  setup(platform) {
    for (const column of encryptedSettingColumns) {
      registerEncryptedColumn({ table: "oa_settings", idColumn: "tenant_id", column });
    }
    defineOaEventProcessing(platform);
    defineOaSyncJobs(platform);
    defineMenuRemovalJobs(platform);
    // Keyword auto-replies answer after richer providers (priority 0; features may register above).
    registerPassiveReplyProvider(platform, "keywords", keywordReplyProvider(platform));
    setupOaFeatures(platform);
    registerOaFlowHooks(platform);
    subscribeOaCustomerMerges(platform);
  },
  routes(api, platform) {
    oaSettingsRoutes(api, platform);
    oaRoutes(api, platform);
    oaFeatureRoutes(api, platform);
  },
  async callbacks(app, platform) {
    await oaCallbackRoutes(app, platform);
  },
  async started(platform) {
    if (platform.config.role !== "worker") {
      await wireOaDemoTenant(platform).catch((err: unknown) =>
        platform.log.warn({ err }, "wiring the demo tenant to the Official Account sandbox failed"),
      );
    }
    if (platform.config.role !== "api") {
      await platform.jobs.schedule(sweepOaEventsJob, "* * * * *", {});
      // And once now, for tasks an earlier process left without a job.
      await platform.jobs.send(sweepOaEventsJob, { boot: true });
      await platform.jobs.schedule(sweepOaMenuRemovalsJob, "*/5 * * * *", {});
    }
  },
};
