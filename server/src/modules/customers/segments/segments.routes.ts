import {
  listQuerySchema,
  segmentDtoSchema,
  segmentExprSchema,
  segmentKindSchema,
  segmentLimits,
  segmentMemberSchema,
  segmentPreviewSchema,
  segmentWarningSchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import {
  createSegment,
  deleteSegment,
  getSegment,
  listSegments,
  previewSegment,
  refreshSegment,
  segmentMembers,
  updateSegment,
} from "./segments.service.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const expression = z.string().max(segmentLimits.maxLength);
const withWarnings = segmentDtoSchema.extend({ warnings: z.array(segmentWarningSchema) });
const name = z.string().trim().min(1).max(100);

/** Segments: saved expressions over tags, attributes and events (SPEC §1). */
export function segmentsRoutes(api: Api, platform: Platform) {
  api.get(
    "/segments",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["segments"],
        querystring: listQuerySchema,
        response: { 200: z.object({ items: z.array(segmentDtoSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => req.inTenant((s) => listSegments(s, req.query)),
  );

  api.post(
    "/segments",
    {
      config: { permission: "customers.write" },
      schema: {
        tags: ["segments"],
        body: z.strictObject({
          name,
          expression: expression.optional(),
          ast: segmentExprSchema.optional(),
          kind: segmentKindSchema.default("dynamic"),
        }),
        response: { 201: withWarnings },
      },
    },
    async (req, reply) => {
      const segment = await req.inTenant((s) => createSegment(s, platform.audit, req.actor(), req.body));
      return reply.status(201).send(segment);
    },
  );

  // Registered before `/segments/:id` routes for readability; Fastify prefers the static path anyway.
  api.post(
    "/segments/preview",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["segments"],
        body: z.strictObject({ expression: expression.optional(), ast: segmentExprSchema.optional() }),
        response: { 200: segmentPreviewSchema },
      },
    },
    async (req) => req.inTenant((s) => previewSegment(s, req.body)),
  );

  api.get(
    "/segments/:id",
    {
      config: { permission: "customers.read", resource: "segment" },
      schema: { tags: ["segments"], params: idParams, response: { 200: segmentDtoSchema } },
    },
    async (req) => req.inTenant((s) => getSegment(s, req.params.id)),
  );

  api.put(
    "/segments/:id",
    {
      config: { permission: "customers.write", resource: "segment" },
      schema: {
        tags: ["segments"],
        params: idParams,
        body: z.strictObject({
          name: name.optional(),
          expression: expression.optional(),
          ast: segmentExprSchema.optional(),
          kind: segmentKindSchema.optional(),
        }),
        response: { 200: withWarnings },
      },
    },
    async (req) =>
      req.inTenant((s) => updateSegment(s, platform.audit, req.actor(), req.params.id, req.body)),
  );

  api.delete(
    "/segments/:id",
    {
      config: { permission: "customers.write", resource: "segment" },
      schema: { tags: ["segments"], params: idParams, response: { 200: z.object({ ok: z.literal(true) }) } },
    },
    async (req) => {
      await req.inTenant((s) => deleteSegment(s, platform.audit, req.actor(), req.params.id));
      return { ok: true as const };
    },
  );

  api.get(
    "/segments/:id/members",
    {
      config: { permission: "customers.read", resource: "segment" },
      schema: {
        tags: ["segments"],
        params: idParams,
        querystring: listQuerySchema,
        response: {
          200: z.object({ items: z.array(segmentMemberSchema), nextCursor: z.string().nullable() }),
        },
      },
    },
    async (req) => req.inTenant((s) => segmentMembers(s, req.params.id, req.query)),
  );

  api.post(
    "/segments/:id/refresh",
    {
      config: { permission: "customers.write", resource: "segment" },
      schema: { tags: ["segments"], params: idParams, response: { 200: withWarnings } },
    },
    async (req) => req.inTenant((s) => refreshSegment(s, platform.audit, req.actor(), req.params.id)),
  );
}
