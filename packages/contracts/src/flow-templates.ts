/**
 * Flow templates (SPEC §6, marketing SOP and industry processes): ready-made definitions that install
 * as a new draft flow, editable in the designer. Plus the placeholder coupon ledger flows issue from
 * and the lifecycle-stage mix of a flow's customers.
 */
import { z } from "zod";
import { flowDefinitionSchema, flowInstanceStatuses } from "./flows.ts";

export const flowTemplateCategories = ["sop", "industry"] as const;
export type FlowTemplateCategory = (typeof flowTemplateCategories)[number];
export const flowTemplateIndustries = [
  "general",
  "retail",
  "appliance",
  "education",
  "service",
  "automotive",
] as const;
export type FlowTemplateIndustry = (typeof flowTemplateIndustries)[number];

export const flowTemplateSchema = z.object({
  key: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.enum(flowTemplateCategories),
  industry: z.enum(flowTemplateIndustries),
  /** The steps in order, for the template card (安装预约 → 配件申请 → 费用结算). */
  steps: z.array(z.string()),
  /** How it starts: a tag, a schedule, a new customer, by hand. */
  trigger: z.string(),
  /** Tags, tasks, messages and stages it uses, so a user knows what to prepare. */
  uses: z.array(z.string()),
  definition: flowDefinitionSchema,
  /** Flows of this tenant installed from it, and the newest one (to open it in the designer). */
  installs: z.number().int().optional(),
  lastFlowId: z.string().nullable().optional(),
});
export type FlowTemplateDto = z.infer<typeof flowTemplateSchema>;

export const flowTemplateInstallSchema = z
  .object({
    /** Default: the template's name. */
    name: z.string().trim().min(1).max(100).optional(),
  })
  .nullish();

export const flowTemplateInstalledSchema = z.object({
  flowId: z.string(),
  name: z.string(),
  status: z.enum(["draft", "active", "archived"]),
  version: z.number().int(),
  templateKey: z.string(),
});

export const flowStagesQuerySchema = z.object({
  /** Only customers of instances in this status (default: every instance of the flow). */
  status: z.enum(flowInstanceStatuses).optional(),
});
export const flowStagesSchema = z.object({
  /** Distinct customers the flow has (had) instances for. */
  customers: z.number().int(),
  stages: z.array(z.object({ stage: z.string().nullable(), customers: z.number().int() })),
});
export type FlowStagesDto = z.infer<typeof flowStagesSchema>;

// ── placeholder coupons (until the commerce hub's coupons) ───────────────────────────────────

export const couponIssueActionSchema = z.object({
  title: z.string().trim().min(1).max(100),
  /** Face value in fen. */
  amountFen: z.number().int().min(0).max(100_000_000).default(0),
  /** Valid for this long after issue (ISO-8601 duration); none: no expiry. */
  validFor: z
    .string()
    .regex(/^P(?!$)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/)
    .optional(),
});

export const couponGrantSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  title: z.string(),
  amountFen: z.number().int(),
  status: z.enum(["issued", "redeemed", "expired"]),
  expiresAt: z.string().nullable(),
  flowId: z.string().nullable(),
  flowInstanceId: z.string().nullable(),
  createdAt: z.string(),
  redeemedAt: z.string().nullable(),
});
export type CouponGrantDto = z.infer<typeof couponGrantSchema>;

/** `flow.start_each`: starts this flow at `startAt` for every customer of the audience. */
export const startEachActionSchema = z.object({
  audience: z.discriminatedUnion("kind", [
    /** Customers whose `birthday` attribute (YYYY-MM-DD) is today in the tenant's time zone. */
    z.object({ kind: z.literal("birthday_today") }),
    /** No timeline fact for `days` days. */
    z.object({ kind: z.literal("dormant"), days: z.number().int().min(1).max(3650) }),
  ]),
  /** The node each customer's instance starts at: a `manual` trigger of this flow. */
  startAt: z.string().min(1).max(64),
  /** At most this many customers per run (the rest wait for the next run). */
  limit: z.number().int().min(1).max(50_000).default(5000),
});
