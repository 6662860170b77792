/** Marketing SOP and industry templates: the template library and the actions SOPs use. */
export { couponIssued, couponRedeemed } from "./ops/coupons.ts";
export { installTemplate, listTemplates } from "./ops/install-template.ts";
export { sopModule } from "./sop.module.ts";
export { type FlowTemplate, flowTemplates } from "./templates/index.ts";
