import type { Module } from "../../platform/platform.ts";
import { contactPolicyRoutes } from "./routes/contact-policy.routes.ts";
import { subscribeCustomerMerged } from "./subscribers/customer-merged.subscriber.ts";

/** Marketing guardrails (SPEC §6): frequency caps, quiet hours, WeCom mass-message limits, opt-outs. */
export const contactPolicyModule: Module = {
  name: "contact-policy",
  setup(platform) {
    subscribeCustomerMerged(platform);
  },
  routes(api, platform) {
    contactPolicyRoutes(api, platform);
  },
};
