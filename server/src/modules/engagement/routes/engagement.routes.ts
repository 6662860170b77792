import { engagementRuleInputSchema, engagementRuleSchema, followUpSchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { completeFollowUp, deleteRule, listFollowUps, listRules, saveRule } from "../engagement.service.ts";

const tags = ["engagement"];
const idParams = z.object({ id: z.string().min(1).max(64) });
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.null() });

/** `/api/engagement/rules` (cross-engine rules) and `/api/follow-ups` (tasks for owner staff). */
export function engagementRoutes(api: Api, platform: Platform) {
  api.get(
    "/engagement/rules",
    {
      config: { permission: "channels.read" },
      schema: { tags, response: { 200: items(engagementRuleSchema) } },
    },
    async (req) => ({ items: await req.inTenant(listRules), nextCursor: null }),
  );
  api.post(
    "/engagement/rules",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: engagementRuleInputSchema, response: { 201: engagementRuleSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => saveRule(s, platform, req.actor(), req.body))),
  );
  api.put(
    "/engagement/rules/:id",
    {
      config: { permission: "channels.manage", resource: "engagement_rule" },
      schema: {
        tags,
        params: idParams,
        body: engagementRuleInputSchema,
        response: { 200: engagementRuleSchema },
      },
    },
    async (req) => req.inTenant((s) => saveRule(s, platform, req.actor(), req.body, req.params.id)),
  );
  api.delete(
    "/engagement/rules/:id",
    {
      config: { permission: "channels.manage", resource: "engagement_rule" },
      schema: { tags, params: idParams },
    },
    async (req, reply) => {
      await req.inTenant((s) => deleteRule(s, platform, req.actor(), req.params.id));
      return reply.status(204).send();
    },
  );

  api.get(
    "/follow-ups",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        querystring: z.object({
          status: z.enum(["open", "done"]).optional(),
          customerId: z.string().max(64).optional(),
          owner: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: { 200: items(followUpSchema) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listFollowUps(s, req.query)), nextCursor: null }),
  );
  api.post(
    "/follow-ups/:id/complete",
    { config: { permission: "customers.write", resource: "follow_up" }, schema: { tags, params: idParams } },
    async (req) => {
      await req.inTenant((s) => completeFollowUp(s, platform, req.actor(), req.params.id));
      return { ok: true };
    },
  );
}
