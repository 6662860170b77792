import {
  customerSchema,
  customerStatsSchema,
  identityTypeSchema,
  listQuerySchema,
  timelineEntrySchema,
} from "@siyu/contracts";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { Scope } from "../../../platform/db/index.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import {
  addTags,
  assertVisible,
  removeTagIds,
  toDtos,
  updateCustomer,
  upsertCustomer,
  type Writer,
} from "../customers.service.ts";
import { isDateOrDateTime } from "../dates.ts";
import { listCustomers } from "../list.ts";
import { segmentWhere } from "../segments/index.ts";
import { findTags } from "../tags.service.ts";
import { listTimeline } from "../timeline.ts";

const attributeValue = z.union([
  z.string().max(2000),
  z.number(),
  z.boolean(),
  z.array(z.string().max(200)).max(100),
  z.null(),
]);
export const attributesSchema = z
  .record(
    z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, "attribute keys are lower-case letters, digits and _"),
    attributeValue,
  )
  .refine((a) => Object.keys(a).length <= 100, "at most 100 attributes");
const tagNames = z.array(z.string().min(1).max(50)).max(100);
const idParams = z.object({ id: z.string().min(1).max(100) });
const list = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export function writerOf(req: FastifyRequest, platform: Platform, cause: Writer["cause"] = "manual"): Writer {
  const auth = req.caller();
  return {
    platform,
    actor: req.actor(),
    cause: auth.kind === "api_key" ? "api" : cause,
    // An agent's own customers are theirs; admins' new customers go to the shared pool.
    defaultOwners: auth.dataScope === "own" && auth.userId ? [auth.userId] : [],
  };
}

export function customersRoutes(api: Api, platform: Platform) {
  const one = async (s: Scope, req: FastifyRequest, id: string) => {
    const row = await assertVisible(s, req.caller(), id);
    const [dto] = await toDtos(s, platform, [row], req.caller().permissions);
    return dto!;
  };

  api.post(
    "/customers",
    {
      config: { permission: "customers.write" },
      schema: {
        tags: ["customers"],
        body: z.strictObject({
          name: z.string().trim().max(100),
          phone: z.string().max(40).nullable().optional(),
          email: z.string().max(254).nullable().optional(),
          attributes: attributesSchema.optional(),
          tags: tagNames.optional(),
          identities: z
            .array(
              z.strictObject({
                type: identityTypeSchema,
                value: z.string().max(200),
                scope: z.string().max(100).optional(),
              }),
            )
            .max(20)
            .optional(),
          lifecycleStage: z.string().max(50).nullable().optional(),
          source: z.string().max(100).nullable().optional(),
        }),
        response: { 200: customerSchema, 201: customerSchema },
      },
    },
    async (req, reply) => {
      const out = await req.inTenant(async (s) => {
        const r = await upsertCustomer(s, writerOf(req, platform), req.body);
        return { created: r.created, dto: await one(s, req, r.id) };
      });
      return reply.status(out.created ? 201 : 200).send(out.dto);
    },
  );

  api.get(
    "/customers",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["customers"],
        querystring: listQuerySchema.extend({
          tag: z.union([z.string().max(50), z.array(z.string().max(50)).max(20)]).optional(),
          q: z.string().trim().max(100).optional(),
          segment: z.string().max(100).optional(),
          owner: z.string().max(100).optional(),
        }),
        response: { 200: list(customerSchema) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const tags =
          req.query.tag === undefined ? [] : Array.isArray(req.query.tag) ? req.query.tag : [req.query.tag];
        const segment = req.query.segment;
        const page = await listCustomers(s, platform, req.caller(), {
          ...req.query,
          tags,
          extra: segment
            ? async (params) => {
                const w = await segmentWhere(s, segment, { alias: "c", firstParam: params.length + 1 });
                params.push(...w.params);
                return `(${w.sql})`;
              }
            : undefined,
        });
        return {
          items: await toDtos(s, platform, page.rows, req.caller().permissions),
          nextCursor: page.nextCursor,
        };
      }),
  );

  api.get(
    "/customers/:id",
    {
      config: { permission: "customers.read", resource: "customer" },
      schema: { tags: ["customers"], params: idParams, response: { 200: customerSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const dto = await one(s, req, req.params.id);
        // Reading a full phone number is a sensitive read.
        if (dto.phone && req.caller().permissions.has("customers.phone.full")) {
          await platform.audit.record(s, req.actor(), {
            action: "customer.viewed",
            targetType: "customer",
            targetId: dto.id,
          });
        }
        return dto;
      }),
  );

  api.patch(
    "/customers/:id",
    {
      config: { permission: "customers.write", resource: "customer" },
      schema: {
        tags: ["customers"],
        params: idParams,
        body: z.strictObject({
          name: z.string().trim().min(1).max(100).optional(),
          phone: z.string().max(40).nullable().optional(),
          email: z.string().max(254).nullable().optional(),
          attributes: attributesSchema.optional(),
          lifecycleStage: z.string().max(50).nullable().optional(),
          ownerUserIds: z.array(z.string().max(100)).max(20).optional(),
        }),
        response: { 200: customerSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        await updateCustomer(s, writerOf(req, platform), req.params.id, req.body);
        return one(s, req, req.params.id);
      }),
  );

  api.get(
    "/customers/:id/timeline",
    {
      config: { permission: "customers.read", resource: "customer" },
      schema: {
        tags: ["customers"],
        params: idParams,
        querystring: listQuerySchema.extend({
          type: z.string().max(100).optional(),
          // zod takes year 0000, which PostgreSQL refuses.
          before: z
            .string()
            .datetime({ offset: true })
            .refine((v) => isDateOrDateTime(v.slice(0, 10)), "not a real date")
            .optional(),
        }),
        response: { 200: list(timelineEntrySchema) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        return listTimeline(s, req.params.id, req.query);
      }),
  );

  api.post(
    "/customers/:id/tags",
    {
      config: { permission: "customers.write", resource: "customer" },
      schema: {
        tags: ["customers"],
        params: idParams,
        body: z.strictObject({ tags: tagNames.min(1) }),
        response: { 200: customerSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        await addTags(s, writerOf(req, platform), req.params.id, req.body.tags);
        return one(s, req, req.params.id);
      }),
  );

  api.delete(
    "/customers/:id/tags/:tagName",
    {
      config: { permission: "customers.write", resource: "customer" },
      schema: {
        tags: ["customers"],
        params: z.object({ id: z.string().min(1).max(100), tagName: z.string().min(1).max(50) }),
        response: { 200: customerSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        const tags = await findTags(s, [req.params.tagName.trim()]);
        await removeTagIds(
          s,
          writerOf(req, platform),
          req.params.id,
          tags.map((t) => t.id),
        );
        return one(s, req, req.params.id);
      }),
  );

  api.get(
    "/customers/stats",
    {
      config: { permission: "customers.read" },
      schema: { tags: ["customers"], response: { 200: customerStatsSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const [c] = await s.query<{ live: number; merged: number; unified: number }>(
          `select count(*) filter (where merged_into is null)::int as live,
                  count(*) filter (where merged_into is not null)::int as merged,
                  (select count(*)::int from (select i.customer_id from customer_identities i
                     group by i.customer_id having count(distinct i.type) >= 2) u) as unified
             from customers where deleted_at is null`,
        );
        const byType = await s.query<{ type: string; n: number }>(
          "select type, count(*)::int as n from customer_identities group by type order by 2 desc",
        );
        const live = c?.live ?? 0;
        return {
          customers: live,
          identities: byType.reduce((a, r) => a + r.n, 0),
          // A person is unified when two or more kinds of identity (phone, WeCom, OA, store…) lead to them.
          unificationRate: live === 0 ? 0 : Math.round(((c?.unified ?? 0) / live) * 10000) / 10000,
          unified: c?.unified ?? 0,
          mergedProfiles: c?.merged ?? 0,
          byIdentityType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
        };
      }),
  );
}
