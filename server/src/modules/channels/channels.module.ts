import type { Module } from "../../platform/platform.ts";
import { defineAfterAdd, refreshAllJob } from "./jobs/after-add.job.ts";
import { defineSendWelcome } from "./jobs/send-welcome.job.ts";
import { landingRoutes } from "./routes/landing.routes.ts";
import { liveCodeRoutes } from "./routes/live-codes.routes.ts";
import { subscribeContactEvents } from "./subscribers/contact-events.subscriber.ts";

/** Channel live codes (渠道活码, SPEC §3): contact ways, the welcome path, landing links and statistics. */
export const channelsModule: Module = {
  name: "channels",
  setup(platform) {
    defineSendWelcome(platform);
    defineAfterAdd(platform);
    subscribeContactEvents(platform);
  },
  routes(api, platform) {
    liveCodeRoutes(api, platform);
  },
  async callbacks(app, platform) {
    await landingRoutes(app, platform);
  },
  async started(platform) {
    // Working hours start and end, and a new day lifts caps: re-allocate members every 5 minutes.
    if (platform.config.role !== "api") await platform.jobs.schedule(refreshAllJob, "*/5 * * * *", {});
  },
};
