import {
  flowAnalyticsSchema,
  flowCatalogSchema,
  flowCreateSchema,
  flowDefinitionSchema,
  flowDetailSchema,
  flowDryRunResultSchema,
  flowDryRunSchema,
  flowInstanceDetailSchema,
  flowInstanceSchema,
  flowLifecycleSchema,
  flowMigratePlanSchema,
  flowMigrateSchema,
  flowSchema,
  flowStartSchema,
  flowUpdateSchema,
  flowValidationSchema,
  flowVersionSchema,
  flowWebhookSchema,
} from "@siyu/contracts";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { assertVisible } from "../../customers/index.ts";
import { nodeCatalog } from "../catalog.ts";
import { cancelInstanceTx, setPausedTx, startInstanceTx } from "../engine/engine.ts";
import {
  archiveFlow,
  type Caller,
  createFlow,
  flowRow,
  getFlow,
  getVersion,
  listFlows,
  publishFlow,
  saveDraft,
  validateFlow,
  validationReport,
} from "../flows.service.ts";
import {
  dryRun,
  flowAnalytics,
  getInstance,
  instanceListQuerySchema,
  listInstances,
  migrateInstances,
  migrationPlan,
} from "../instances.service.ts";
import { flowLifecycle } from "../stages.ts";
import { listWebhooks, regenerateWebhook } from "../webhooks.service.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const tags = ["flows"];
const resource = "flow";
const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** `/api/flows`, `/api/flow-instances`, `/api/flow-node-types` (CONTRACT "Flows", SPEC §6). */
export function flowsRoutes(api: Api, platform: Platform) {
  const caller = (req: FastifyRequest): Caller => ({ platform, actor: req.actor(), audit: platform.audit });

  api.get(
    "/flow-node-types",
    {
      config: { permission: "flows.read" },
      schema: {
        tags,
        summary: "Node type catalog",
        description:
          "Every node type with the JSON Schema of its params and its outcome edges, every action with its params schema, and the events triggers and event waits know.",
        response: { 200: flowCatalogSchema },
      },
    },
    async () => nodeCatalog(platform),
  );

  api.post(
    "/flows",
    {
      config: { permission: "flows.manage" },
      schema: {
        tags,
        summary: "Create a flow (draft)",
        description:
          "A new draft flow. `definition` is the graph (nodes, edges, settings); a draft only has to be structurally a graph, publish checks the rest.",
        body: flowCreateSchema,
        response: { 201: flowSchema },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => createFlow(s, caller(req), req.body))),
  );

  api.get(
    "/flows",
    {
      config: { permission: "flows.read" },
      schema: {
        tags,
        querystring: z.object({
          status: z.enum(["draft", "active", "archived"]).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().max(200).optional(),
        }),
        response: { 200: listOf(flowSchema) },
      },
    },
    async (req) => req.inTenant((s) => listFlows(s, req.query)),
  );

  api.get(
    "/flows/:id",
    {
      config: { permission: "flows.read", resource },
      schema: { tags, params: idParams, response: { 200: flowDetailSchema } },
    },
    async (req) => req.inTenant((s) => getFlow(s, req.params.id)),
  );

  api.put(
    "/flows/:id",
    {
      config: { permission: "flows.manage", resource },
      schema: {
        tags,
        summary: "Save the draft",
        description:
          "Replaces the draft definition (a new draft version once the published one is behind it). Running instances keep their version.",
        params: idParams,
        body: flowUpdateSchema,
        response: { 200: flowSchema },
      },
    },
    async (req) => req.inTenant((s) => saveDraft(s, caller(req), req.params.id, req.body)),
  );

  api.delete(
    "/flows/:id",
    {
      config: { permission: "flows.manage", resource },
      schema: { tags, params: idParams, response: { 200: flowSchema } },
    },
    async (req) => req.inTenant((s) => archiveFlow(s, caller(req), req.params.id)),
  );

  api.post(
    "/flows/:id/publish",
    {
      config: { permission: "flows.manage", resource },
      schema: {
        tags,
        summary: "Publish the draft",
        description:
          "Validates the draft (400 invalid_definition with details.nodeIds and details.errors when it fails) and makes it the live version: new instances start on it, triggers follow it.",
        params: idParams,
        response: { 200: z.object({ version: z.number().int() }) },
      },
    },
    async (req) => req.inTenant((s) => publishFlow(s, caller(req), req.params.id)),
  );

  // The inbound URLs of webhook triggers (made at publish): secrets, so for those who manage flows.
  api.get(
    "/flows/:id/webhooks",
    {
      config: { permission: "flows.manage", resource },
      schema: {
        tags,
        params: idParams,
        response: { 200: z.object({ items: z.array(flowWebhookSchema) }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listWebhooks(platform, s, req.params.id)) }),
  );

  api.post(
    "/flows/:id/webhooks/:nodeId/regenerate",
    {
      config: { permission: "flows.manage", resource },
      schema: {
        tags,
        params: idParams.extend({ nodeId: z.string().min(1).max(64) }),
        response: { 200: flowWebhookSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const hook = await regenerateWebhook(platform, s, req.params.id, req.params.nodeId);
        await platform.audit.record(s, req.actor(), {
          action: "flow.webhook_regenerated",
          targetType: "flow",
          targetId: req.params.id,
          data: { nodeId: req.params.nodeId },
        });
        return hook;
      }),
  );

  api.post(
    "/flows/:id/validate",
    {
      config: { permission: "flows.read", resource },
      schema: {
        tags,
        params: idParams,
        summary: "Validate a definition",
        description:
          "The publish checks on the saved draft, or on `definition` when given (nothing is saved): every error with its code and the node at fault.",
        // Optional body: a definition to check instead of the saved draft.
        body: z.object({ definition: flowDefinitionSchema.optional() }).nullish(),
        response: { 200: flowValidationSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const row = await flowRow(s, req.params.id);
        const def = req.body?.definition ?? flowDefinitionSchema.parse(row.draft);
        return validationReport(await validateFlow(s, platform, req.params.id, def));
      }),
  );

  api.get(
    "/flows/:id/versions/:version",
    {
      config: { permission: "flows.read", resource },
      schema: {
        tags,
        params: z.object({ id: z.string().min(1).max(100), version: z.string().max(12) }),
        response: { 200: flowVersionSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await flowRow(s, req.params.id);
        const v = Number(req.params.version);
        if (!Number.isInteger(v) || v < 1) throw new AppError("not_found", "flow version not found");
        return getVersion(s, req.params.id, v);
      }),
  );

  api.get(
    "/flows/:id/instances",
    {
      config: { permission: "flows.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: instanceListQuerySchema,
        response: { 200: listOf(flowInstanceSchema) },
      },
    },
    async (req) => req.inTenant((s) => listInstances(s, req.params.id, req.query)),
  );

  api.post(
    "/flows/:id/instances",
    {
      config: { permission: "flows.manage", resource },
      schema: { tags, params: idParams, body: flowStartSchema, response: { 201: flowInstanceDetailSchema } },
    },
    async (req, reply) => {
      const dto = await req.inTenant(async (s) => {
        await flowRow(s, req.params.id);
        if (req.body.customerId) await assertVisible(s, req.caller(), req.body.customerId);
        const id = await startInstanceTx(platform, s, {
          flowId: req.params.id,
          customerId: req.body.customerId ?? null,
          vars: req.body.vars,
          force: req.body.force,
          event: { type: "manual", payload: { userId: req.caller().userId } },
        });
        if (!id)
          throw new AppError(
            "conflict",
            "the flow's re-entry rule refuses this customer now (force to override)",
          );
        return getInstance(s, id);
      });
      return reply.status(201).send(dto);
    },
  );

  api.post(
    "/flows/:id/dry-run",
    {
      config: { permission: "flows.read", resource },
      schema: { tags, params: idParams, body: flowDryRunSchema, response: { 200: flowDryRunResultSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        if (req.body.customerId) await assertVisible(s, req.caller(), req.body.customerId);
        return dryRun(s, platform, req.params.id, req.body);
      }),
  );

  api.get(
    "/flows/:id/analytics",
    {
      config: { permission: "flows.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: z.object({ version: z.coerce.number().int().min(1).optional() }),
        response: { 200: flowAnalyticsSchema },
      },
    },
    async (req) => req.inTenant((s) => flowAnalytics(s, req.params.id, req.query.version)),
  );

  api.get(
    "/flows/:id/lifecycle",
    {
      config: { permission: "flows.read", resource },
      schema: {
        tags,
        summary: "Lifecycle stages of the flow's customers",
        description:
          "For every customer with an instance of this flow (running or finished), the lifecycle stage the customer is in now, counted per stage and split into customers with a live instance and those whose instances have all ended.",
        params: idParams,
        response: { 200: flowLifecycleSchema },
      },
    },
    async (req) => req.inTenant((s) => flowLifecycle(s, req.params.id)),
  );

  api.post(
    "/flows/:id/migrate/preview",
    {
      config: { permission: "flows.manage", resource },
      schema: { tags, params: idParams, body: flowMigrateSchema, response: { 200: flowMigratePlanSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const plan = await migrationPlan(s, req.params.id, req.body);
        return { ...plan, moves: plan.moves.map(({ tokens: _t, ...m }) => m) };
      }),
  );

  api.post(
    "/flows/:id/migrate",
    {
      config: { permission: "flows.manage", resource },
      schema: { tags, params: idParams, body: flowMigrateSchema, response: { 200: flowMigratePlanSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const result = await migrateInstances(s, req.params.id, req.body);
        await platform.audit.record(s, req.actor(), {
          action: "flow.instances_migrated",
          targetType: "flow",
          targetId: req.params.id,
          data: { toVersion: req.body.toVersion, migrated: result.migrated, blocked: result.blocked.length },
        });
        return result;
      }),
  );

  api.get(
    "/flow-instances/:id",
    {
      config: { permission: "flows.read", resource: "flow_instance" },
      schema: { tags, params: idParams, response: { 200: flowInstanceDetailSchema } },
    },
    async (req) => req.inTenant((s) => getInstance(s, req.params.id)),
  );

  for (const verb of ["cancel", "pause", "resume"] as const) {
    api.post(
      `/flow-instances/:id/${verb}`,
      {
        config: { permission: "flows.manage", resource: "flow_instance" },
        schema: { tags, params: idParams, response: { 200: flowInstanceDetailSchema } },
      },
      async (req) =>
        req.inTenant(async (s) => {
          if (verb === "cancel") await cancelInstanceTx(s, req.params.id, platform);
          else await setPausedTx(platform, s, req.params.id, verb === "pause");
          await platform.audit.record(s, req.actor(), {
            action: `flow_instance.${verb}`,
            targetType: "flow_instance",
            targetId: req.params.id,
          });
          return getInstance(s, req.params.id);
        }),
    );
  }
}
