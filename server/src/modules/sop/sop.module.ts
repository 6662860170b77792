import type { Module } from "../../platform/platform.ts";
import { registerTriggerEvent } from "../flows/index.ts";
import { registerCouponActions } from "./ops/coupons.ts";
import { registerStartEach } from "./ops/start-each.ts";
import { sopRoutes } from "./routes/sop.routes.ts";
import { seedDemoFlowTemplates } from "./seed-demo.ts";

/**
 * Marketing SOP and industry templates (SPEC §6): the template library that installs as flows, the
 * actions SOPs need (`flow.start_each` for scheduled audiences, `coupon.issue` on a placeholder
 * ledger), and the lifecycle-stage view of a flow. Boots before the flows module so the events it
 * adds are among those the flow triggers subscribe to.
 */
export const sopModule: Module = {
  name: "sop",
  setup(platform) {
    // A new WeCom friend (the WeCom module's timeline fact) starts the new-customer SOP.
    registerTriggerEvent(platform, "wecom.contact_added");
    registerCouponActions(platform);
    registerStartEach(platform);
  },
  routes(api, platform) {
    sopRoutes(api, platform);
  },
  async started(platform) {
    if (platform.config.demo && platform.config.role !== "worker") await seedDemoFlowTemplates(platform);
  },
};
