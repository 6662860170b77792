import {
  listQuerySchema,
  quickReplyCreateSchema,
  quickReplyGroupCreateSchema,
  quickReplyGroupSchema,
  quickReplyGroupUpdateSchema,
  quickReplySchema,
  quickReplySuggestionSchema,
  quickReplyUpdateSchema,
  quickReplyUseSchema,
} from "@siyu/contracts";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { forbidden } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { assertVisible, recordCustomerEvent } from "../../customers/index.ts";
import {
  type Caller,
  countUse,
  createGroup,
  createReply,
  deleteGroup,
  deleteReply,
  getReply,
  listGroups,
  listReplies,
  suggestReplies,
  updateGroup,
  updateReply,
} from "../quick-replies.service.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const tags = ["quick-replies"];

/** `/api/quick-replies` (话术库): agents read and use; editors (`quickreplies.manage`) change the tenant's library. */
export function quickRepliesRoutes(api: Api, platform: Platform) {
  const caller = (req: FastifyRequest): Caller => ({
    auth: req.caller(),
    actor: req.actor(),
    audit: platform.audit,
  });

  api.get(
    "/quick-replies",
    {
      config: { permission: "quickreplies.use" },
      schema: {
        tags,
        querystring: listQuerySchema.extend({
          q: z.string().trim().max(100).optional(),
          groupId: z.string().max(100).optional(),
          scope: z.enum(["all", "tenant", "personal"]).optional(),
        }),
        response: { 200: z.object({ items: z.array(quickReplySchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => req.inTenant((s) => listReplies(s, req.caller(), req.query)),
  );

  api.get(
    "/quick-replies/suggest",
    {
      config: { permission: "quickreplies.use" },
      schema: {
        tags,
        querystring: z.object({
          text: z.string().trim().max(2000).optional(),
          limit: z.coerce.number().int().min(1).max(20).default(5),
        }),
        response: { 200: z.object({ items: z.array(quickReplySuggestionSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({
      items: await req.inTenant((s) =>
        suggestReplies(s, req.caller(), req.query.text ?? "", req.query.limit),
      ),
      nextCursor: null,
    }),
  );

  api.post(
    "/quick-replies",
    {
      config: { permission: "quickreplies.use" },
      schema: { tags, body: quickReplyCreateSchema, response: { 201: quickReplySchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => createReply(s, caller(req), req.body))),
  );

  api.get(
    "/quick-replies/groups",
    {
      config: { permission: "quickreplies.use" },
      schema: {
        tags,
        response: { 200: z.object({ items: z.array(quickReplyGroupSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listGroups(s, req.caller())), nextCursor: null }),
  );

  api.post(
    "/quick-replies/groups",
    {
      config: { permission: "quickreplies.manage" },
      schema: { tags, body: quickReplyGroupCreateSchema, response: { 201: quickReplyGroupSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => createGroup(s, caller(req), req.body))),
  );

  api.patch(
    "/quick-replies/groups/:id",
    {
      config: { permission: "quickreplies.manage", resource: "quick_reply_group" },
      schema: {
        tags,
        params: idParams,
        body: quickReplyGroupUpdateSchema,
        response: { 200: quickReplyGroupSchema },
      },
    },
    async (req) => req.inTenant((s) => updateGroup(s, caller(req), req.params.id, req.body)),
  );

  api.delete(
    "/quick-replies/groups/:id",
    {
      config: { permission: "quickreplies.manage", resource: "quick_reply_group" },
      schema: {
        tags,
        params: idParams,
        response: { 200: z.object({ ok: z.literal(true), replies: z.number().int() }) },
      },
    },
    async (req) => ({
      ok: true as const,
      replies: await req.inTenant((s) => deleteGroup(s, caller(req), req.params.id)),
    }),
  );

  api.get(
    "/quick-replies/:id",
    {
      config: { permission: "quickreplies.use", resource: "quick_reply" },
      schema: { tags, params: idParams, response: { 200: quickReplySchema } },
    },
    async (req) => req.inTenant((s) => getReply(s, req.caller(), req.params.id)),
  );

  api.patch(
    "/quick-replies/:id",
    {
      config: { permission: "quickreplies.use", resource: "quick_reply" },
      schema: { tags, params: idParams, body: quickReplyUpdateSchema, response: { 200: quickReplySchema } },
    },
    async (req) => req.inTenant((s) => updateReply(s, caller(req), req.params.id, req.body)),
  );

  api.delete(
    "/quick-replies/:id",
    {
      config: { permission: "quickreplies.use", resource: "quick_reply" },
      schema: { tags, params: idParams, response: { 200: z.object({ ok: z.literal(true) }) } },
    },
    async (req) => {
      await req.inTenant((s) => deleteReply(s, caller(req), req.params.id));
      return { ok: true as const };
    },
  );

  api.post(
    "/quick-replies/:id/use",
    {
      config: { permission: "quickreplies.use", resource: "quick_reply" },
      schema: { tags, params: idParams, body: quickReplyUseSchema, response: { 200: quickReplySchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const auth = req.caller();
        const used = await countUse(s, auth, req.params.id);
        const customerId = req.body.customerId;
        if (customerId) {
          if (!auth.permissions.has("customers.read")) throw forbidden("permission customers.read required");
          // The customer must be one the caller may see, else 404 as for any other object.
          await assertVisible(s, auth, customerId);
          await recordCustomerEvent(s, platform.events, customerId, "quick_reply.sent", {
            replyId: used.id,
            title: used.title,
            content: used.content.slice(0, 500),
            attachments: used.attachments.length,
            userId: auth.userId,
          });
        }
        return used;
      }),
  );
}
