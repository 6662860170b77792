import type { Module } from "../../platform/platform.ts";
import { quickRepliesRoutes } from "./routes/quick-replies.routes.ts";
import { seedDemoQuickReplies } from "./seed-demo.ts";

/** The quick-reply library (话术库) behind the WeCom staff sidebar (SPEC §2). */
export const quickRepliesModule: Module = {
  name: "quick-replies",
  routes(api, platform) {
    quickRepliesRoutes(api, platform);
  },
  async started(platform) {
    // Demo tenants get a library to try; the IAM module has created them by now (it starts first).
    if (platform.config.demo && platform.config.role !== "worker") await seedDemoQuickReplies(platform);
  },
};
