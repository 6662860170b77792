import type { Module } from "../../platform/platform.ts";
import { contentRoutes } from "./routes/content.routes.ts";
import { trackedLinkRoutes } from "./routes/tracked-link.routes.ts";

/** The content library: articles, tracked links (`/c/<code>?u=<token>`), clicks on the timeline. */
export const contentModule: Module = {
  name: "content",
  routes(api, platform) {
    contentRoutes(api, platform);
  },
  async callbacks(app, platform) {
    await trackedLinkRoutes(app, platform);
  },
};
