import type { Module } from "../../platform/platform.ts";
import { defineOaDemoSeed, scheduleOaDemoSeed } from "./ops/seed-demo.ts";
import { engagementRoutes } from "./routes/engagement.routes.ts";
import { subscribeEngagementRules } from "./rules.subscriber.ts";

/** Cross-engine rules: an OA question becomes a WeCom follow-up; a tag sends an OA article. */
export const engagementModule: Module = {
  name: "engagement",
  setup(platform) {
    subscribeEngagementRules(platform);
    defineOaDemoSeed(platform);
  },
  routes(api, platform) {
    engagementRoutes(api, platform);
  },
  async started(platform) {
    if (platform.config.role !== "worker")
      await scheduleOaDemoSeed(platform).catch((err: unknown) =>
        platform.log.warn({ err }, "scheduling the demo tenant's OA features failed"),
      );
  },
};
