import type { Module } from "../../platform/platform.ts";
import { defineAfterAdd, refreshAllJob } from "./jobs/after-add.job.ts";
import { defineSendWelcome } from "./jobs/send-welcome.job.ts";
import { registerOaQrWelcome } from "./oa-qr-welcome.ts";
import { groupCodeRoutes } from "./routes/group-codes.routes.ts";
import { landingRoutes } from "./routes/landing.routes.ts";
import { liveCodeRoutes } from "./routes/live-codes.routes.ts";
import { oaQrCodeRoutes } from "./routes/oa-qr-codes.routes.ts";
import { subscribeContactEvents } from "./subscribers/contact-events.subscriber.ts";
import { subscribeChannelCustomerMerges } from "./subscribers/customer-merged.subscriber.ts";
import { subscribeOaScenes } from "./subscribers/oa-scene.subscriber.ts";

/** Channel live codes (渠道活码, SPEC §3): contact ways, the welcome path, landing links and statistics. */
export const channelsModule: Module = {
  name: "channels",
  setup(platform) {
    defineSendWelcome(platform);
    defineAfterAdd(platform);
    subscribeContactEvents(platform);
    // Official Account QR codes as channels (same statistics model as live codes).
    subscribeOaScenes(platform);
    registerOaQrWelcome(platform);
    subscribeChannelCustomerMerges(platform);
  },
  routes(api, platform) {
    liveCodeRoutes(api, platform);
    oaQrCodeRoutes(api, platform);
    groupCodeRoutes(api, platform);
  },
  async callbacks(app, platform) {
    await landingRoutes(app, platform);
  },
  async started(platform) {
    // Working hours start and end, and a new day lifts caps: re-allocate members every 5 minutes.
    if (platform.config.role !== "api") await platform.jobs.schedule(refreshAllJob, "*/5 * * * *", {});
  },
};
