import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { writerOf } from "../routes/customers.routes.ts";
import { runTagRuleJob } from "./tag-rules.jobs.ts";
import { getRule, listRules, runRule, saveRule, toRuleDtos } from "./tag-rules.service.ts";

const ruleSchema = z.object({
  id: z.string(),
  name: z.string(),
  tag: z.string(),
  tagId: z.string(),
  expression: z.string(),
  enabled: z.boolean(),
  lastRunAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const idParams = z.object({ id: z.string().min(1).max(100) });

export function tagRulesRoutes(api: Api, platform: Platform) {
  const afterSave = async (tenantId: string, ruleId: string, version: string) => {
    // The full run is a job so saving stays fast at a million customers.
    await platform.jobs.send(runTagRuleJob, { tenantId, ruleId }, { key: `${ruleId}@${version}` });
  };

  api.get(
    "/tag-rules",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["tags"],
        response: { 200: z.object({ items: z.array(ruleSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({
      items: await req.inTenant(async (s) => toRuleDtos(s, await listRules(s))),
      nextCursor: null,
    }),
  );

  api.post(
    "/tag-rules",
    {
      config: { permission: "customers.write" },
      schema: {
        tags: ["tags"],
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          tag: z.string().min(1).max(50),
          expression: z.string().min(1).max(4000),
          enabled: z.boolean().default(true),
        }),
        response: { 201: ruleSchema },
      },
    },
    async (req, reply) => {
      const rule = await req.inTenant(async (s) => {
        const row = await saveRule(s, platform, req.actor(), req.body);
        return (await toRuleDtos(s, [row]))[0]!;
      });
      await afterSave(req.caller().tenantId, rule.id, rule.updatedAt);
      return reply.status(201).send(rule);
    },
  );

  api.patch(
    "/tag-rules/:id",
    {
      config: { permission: "customers.write", resource: "tag_rule" },
      schema: {
        tags: ["tags"],
        params: idParams,
        body: z.strictObject({
          name: z.string().trim().min(1).max(100).optional(),
          tag: z.string().min(1).max(50).optional(),
          expression: z.string().min(1).max(4000).optional(),
          enabled: z.boolean().optional(),
        }),
        response: { 200: ruleSchema },
      },
    },
    async (req) => {
      const rule = await req.inTenant(async (s) => {
        const row = await saveRule(s, platform, req.actor(), { ...req.body, id: req.params.id });
        return (await toRuleDtos(s, [row]))[0]!;
      });
      await afterSave(req.caller().tenantId, rule.id, rule.updatedAt);
      return rule;
    },
  );

  api.delete(
    "/tag-rules/:id",
    {
      config: { permission: "customers.write", resource: "tag_rule" },
      schema: { tags: ["tags"], params: idParams, response: { 200: z.object({ ok: z.literal(true) }) } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await getRule(s, req.params.id);
        // Tags the rule added stay: deleting a rule is not a statement about the customers.
        await s.query("update tag_rules set deleted_at = now(), enabled = false where id = $1", [
          req.params.id,
        ]);
        await platform.audit.record(s, req.actor(), {
          action: "tag_rule.deleted",
          targetType: "tag_rule",
          targetId: req.params.id,
        });
        return { ok: true as const };
      }),
  );

  api.post(
    "/tag-rules/:id/run",
    {
      config: { permission: "customers.write", resource: "tag_rule" },
      schema: {
        tags: ["tags"],
        params: idParams,
        response: { 200: z.object({ added: z.number(), removed: z.number() }) },
      },
    },
    async (req) => req.inTenant((s) => runRule(s, writerOf(req, platform, "rule"), req.params.id)),
  );
}
