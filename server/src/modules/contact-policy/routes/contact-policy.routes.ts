import {
  contactChannels,
  contactPolicySchema,
  contactPolicyUpdateSchema,
  contactPreferencesSchema,
  contactPreferencesUpdateSchema,
  contactPurposes,
  contactStatsSchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { assertVisible } from "../../customers/index.ts";
import { decide } from "../ops/decide.ts";
import { getPreferences, setPreferences } from "../opt-outs.service.ts";
import { getContactPolicy, saveContactPolicy } from "../policy.service.ts";
import { contactStats } from "../stats.service.ts";

const tags = ["contact-policy"];
const idParams = z.object({ id: z.string().min(1).max(100) });

const decideBodySchema = z.strictObject({
  customerIds: z.array(z.string().min(1).max(100)).min(1).max(10_000),
  channel: z.enum(contactChannels),
  purpose: z.enum(contactPurposes).default("marketing"),
  at: z.iso.datetime({ offset: true }).optional(),
});
const decisionSchema = z.object({
  customerId: z.string(),
  outcome: z.enum(["allow", "defer", "deny"]),
  reason: z.string().nullable(),
  notBefore: z.string().nullable(),
});

/**
 * Marketing guardrails (SPEC §6): the tenant's policy under settings, a customer's opt-outs on the
 * 360 view, a dry-run check for integrations and the designer, and the dashboard's counts.
 */
export function contactPolicyRoutes(api: Api, platform: Platform) {
  api.get(
    "/settings/contact-policy",
    { config: { permission: "settings.read" }, schema: { tags, response: { 200: contactPolicySchema } } },
    async (req) => req.inTenant((s) => getContactPolicy(s)),
  );

  api.put(
    "/settings/contact-policy",
    {
      config: { permission: "settings.manage" },
      schema: { tags, body: contactPolicyUpdateSchema, response: { 200: contactPolicySchema } },
    },
    async (req) =>
      req.inTenant((s) =>
        saveContactPolicy(s, platform.audit, { ...req.actor(), userId: req.caller().userId }, req.body),
      ),
  );

  api.get(
    "/customers/:id/contact-preferences",
    {
      config: { permission: "customers.read", resource: "customer" },
      schema: { tags, params: idParams, response: { 200: contactPreferencesSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const row = await assertVisible(s, req.caller(), req.params.id);
        return getPreferences(s, row.id);
      }),
  );

  api.put(
    "/customers/:id/contact-preferences",
    {
      config: { permission: "customers.write", resource: "customer" },
      schema: {
        tags,
        params: idParams,
        body: contactPreferencesUpdateSchema,
        response: { 200: contactPreferencesSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const row = await assertVisible(s, req.caller(), req.params.id);
        return setPreferences(s, platform, { ...req.actor(), userId: req.caller().userId }, row.id, req.body);
      }),
  );

  api.post(
    "/contact-policy/decide",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        description:
          "Dry run: whether each customer may be touched on the channel now (or at `at`), recording nothing.",
        body: decideBodySchema,
        response: { 200: z.object({ items: z.array(decisionSchema), notBefore: z.string().nullable() }) },
      },
    },
    async (req) => {
      const auth = req.caller();
      const d = await req.inTenant((s) =>
        decide(s, {
          tenantId: auth.tenantId,
          customerIds: req.body.customerIds,
          channel: req.body.channel,
          purpose: req.body.purpose,
          ...(req.body.at ? { at: new Date(req.body.at) } : {}),
        }),
      );
      return {
        items: d.items.map((i) => ({
          customerId: i.customerId,
          outcome: i.outcome,
          reason: i.outcome === "allow" ? null : i.reason,
          notBefore: i.outcome === "defer" ? i.notBefore.toISOString() : null,
        })),
        notBefore: d.notBefore?.toISOString() ?? null,
      };
    },
  );

  api.get(
    "/contact-policy/stats",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
        response: { 200: contactStatsSchema },
      },
    },
    async (req) => req.inTenant((s) => contactStats(s, req.query.days)),
  );
}
