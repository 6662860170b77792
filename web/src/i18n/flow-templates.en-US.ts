import type { flowTemplatesZh } from "./flow-templates.zh-CN.ts";

/** Texts of the template library; merged into en-US under `flowTemplates`. */
export const flowTemplatesEn: typeof flowTemplatesZh = {
  title: "Templates",
  subtitle:
    "Marketing SOPs and industry processes: install one as a draft flow, adjust it in the designer, publish",
  all: "All",
  categories: { sop: "Marketing SOP", industry: "Industry process" },
  industries: {
    general: "General",
    retail: "Retail",
    appliance: "Appliance after-sales",
    education: "Education",
    service: "Customer service",
    automotive: "Auto dealer (4S)",
  },
  trigger: "Trigger",
  steps: "Steps",
  uses: "Uses",
  nodes: "{{count}} nodes",
  installs: "Installed {{count}} times",
  openLast: "Open the latest install",
  install: "Install",
  installed: "Installed as the draft “{{name}}”; opening the designer",
  guardrails:
    "Marketing messages in these templates go through the contact policy (caps, quiet hours, opt-outs); service notices are sent as transactional.",
  placeholderCoupons:
    "Coupon actions write to a placeholder ledger (visible on the customer timeline) until the commerce hub's coupons arrive.",
  empty: "No templates",
};
