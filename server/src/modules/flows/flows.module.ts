import { registerEncryptedColumn } from "../../platform/crypto/index.ts";
import type { Module } from "../../platform/platform.ts";
import { registerBuiltinActions } from "./actions/builtin.ts";
import { cronJob, defineFlowJobs, sweepJob } from "./engine/jobs.ts";
import { defineSegmentTriggers, segmentSweepJob } from "./engine/segment-triggers.ts";
import { flowsRoutes } from "./routes/flows.routes.ts";
import { flowWebhookRoutes } from "./routes/webhooks.routes.ts";
import { pruneWebhookCalls, pruneWebhookCallsJob } from "./webhooks.service.ts";

/** The process engine (SPEC §6): versioned flow definitions, durable instances, approvals via tasks. */
export const flowsModule: Module = {
  name: "flows",
  setup(platform) {
    registerEncryptedColumn({ table: "flow_webhooks", idColumn: "id", column: "token_enc" });
    registerBuiltinActions(platform);
    defineFlowJobs(platform);
    defineSegmentTriggers(platform);
    platform.jobs.define({
      name: pruneWebhookCallsJob,
      queue: "automation",
      attempts: 1,
      handler: async () => {
        await pruneWebhookCalls(platform);
      },
    });
  },
  routes(api, platform) {
    flowsRoutes(api, platform);
  },
  callbacks(app, platform) {
    flowWebhookRoutes(app, platform);
  },
  async started(platform) {
    if (platform.config.role === "api") return;
    await platform.jobs.schedule(sweepJob, "* * * * *", {});
    await platform.jobs.schedule(cronJob, "* * * * *", {});
    // Segment-entry triggers whose conditions change with time alone ("no order in 90 days").
    await platform.jobs.schedule(segmentSweepJob, "*/5 * * * *", {});
    // Webhook idempotency keys past their retention, once a day in the quiet hours.
    await platform.jobs.schedule(pruneWebhookCallsJob, "40 3 * * *", {}, { tz: "Asia/Shanghai" });
  },
};
