import {
  oaMenuInputSchema,
  oaMenuSchema,
  oaPassiveReplySchema,
  oaTagMapSchema,
  oaTemplateBatchSchema,
  oaTemplateInputSchema,
  oaTemplateSchema,
  oaTemplateSendRowSchema,
  oaTemplateSendSchema,
  oaWelcomeSchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import {
  deleteMenu,
  dismissMenuRemoval,
  listMenus,
  listTagMap,
  mapAndSyncTag,
  publishMenus,
  retryMenuRemoval,
  saveMenu,
} from "../ops/menus.ts";
import { oaRouteError } from "../ops/route-error.ts";
import {
  deleteTemplate,
  listBatches,
  listSends,
  listTemplates,
  saveTemplate,
  startTemplateSend,
  syncTemplates,
} from "../ops/templates.ts";
import { getWelcome, saveWelcome } from "../ops/welcome.ts";

const tags = ["official-account"];
const idParams = z.object({ id: z.string().min(1).max(64) });
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.null() });

/** Templates and sends, menus by tag and the tag map, the welcome reply (SPEC §4). */
export function oaFeatureRoutes(api: Api, platform: Platform) {
  const oa = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw oaRouteError(err);
    }
  };

  // ── templates ──
  api.get(
    "/official-account/templates",
    { config: { permission: "channels.read" }, schema: { tags, response: { 200: items(oaTemplateSchema) } } },
    async (req) => ({ items: await req.inTenant(listTemplates), nextCursor: null }),
  );
  api.post(
    "/official-account/templates",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: oaTemplateInputSchema, response: { 201: oaTemplateSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => saveTemplate(s, platform, req.actor(), req.body))),
  );
  api.delete(
    "/official-account/templates/:id",
    {
      config: { permission: "channels.manage", resource: "oa_template" },
      schema: { tags, params: idParams },
    },
    async (req, reply) => {
      await req.inTenant((s) => deleteTemplate(s, platform, req.actor(), req.params.id));
      return reply.status(204).send();
    },
  );
  api.post(
    "/official-account/templates/sync",
    {
      config: { permission: "channels.manage" },
      schema: { tags, response: { 200: items(oaTemplateSchema) } },
    },
    async (req) => ({
      items: await oa(() => syncTemplates(platform, req.caller().tenantId, req.actor())),
      nextCursor: null,
    }),
  );

  // ── template sends ──
  api.post(
    "/official-account/template-sends",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: oaTemplateSendSchema, response: { 202: oaTemplateBatchSchema } },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(await req.inTenant((s) => startTemplateSend(s, platform, req.actor(), req.body))),
  );
  api.get(
    "/official-account/template-batches",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: items(oaTemplateBatchSchema) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listBatches(s, req.query.limit)), nextCursor: null }),
  );
  api.get(
    "/official-account/template-sends",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        querystring: z.object({
          batchId: z.string().max(64).optional(),
          customerId: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: items(oaTemplateSendRowSchema) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listSends(s, req.query)), nextCursor: null }),
  );

  // ── menus ──
  api.get(
    "/official-account/menus",
    { config: { permission: "channels.read" }, schema: { tags, response: { 200: items(oaMenuSchema) } } },
    async (req) => ({ items: await req.inTenant(listMenus), nextCursor: null }),
  );
  api.post(
    "/official-account/menus",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: oaMenuInputSchema, response: { 201: oaMenuSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => saveMenu(s, platform, req.actor(), req.body))),
  );
  api.put(
    "/official-account/menus/:id",
    {
      config: { permission: "channels.manage", resource: "oa_menu" },
      schema: { tags, params: idParams, body: oaMenuInputSchema, response: { 200: oaMenuSchema } },
    },
    async (req) => req.inTenant((s) => saveMenu(s, platform, req.actor(), req.body, req.params.id)),
  );
  api.delete(
    "/official-account/menus/:id",
    { config: { permission: "channels.manage", resource: "oa_menu" }, schema: { tags, params: idParams } },
    async (req, reply) => {
      await req.inTenant((s) => deleteMenu(s, platform, req.actor(), req.params.id));
      return reply.status(204).send();
    },
  );
  api.post(
    "/official-account/menus/:id/retry-removal",
    {
      config: { permission: "channels.manage", resource: "oa_menu" },
      schema: {
        tags,
        summary: "Retry removing a deleted menu from WeChat after its removal failed (a fresh call)",
        params: idParams,
        response: { 202: oaMenuSchema },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(await req.inTenant((s) => retryMenuRemoval(s, platform, req.actor(), req.params.id))),
  );
  api.post(
    "/official-account/menus/:id/dismiss-removal",
    {
      config: { permission: "channels.manage", resource: "oa_menu" },
      schema: {
        tags,
        summary: "Forget a failed removal in Siyu (WeChat is not called; audited)",
        params: idParams,
      },
    },
    async (req, reply) => {
      await req.inTenant((s) => dismissMenuRemoval(s, platform, req.actor(), req.params.id));
      return reply.status(204).send();
    },
  );
  api.post(
    "/official-account/menus/publish",
    { config: { permission: "channels.manage" }, schema: { tags, response: { 200: items(oaMenuSchema) } } },
    async (req) => ({
      items: await oa(() => publishMenus(platform, req.caller().tenantId, req.actor())),
      nextCursor: null,
    }),
  );

  // ── Siyu tag ↔ OA tag ──
  api.get(
    "/official-account/tag-map",
    { config: { permission: "channels.read" }, schema: { tags, response: { 200: items(oaTagMapSchema) } } },
    async (req) => ({ items: await req.inTenant(listTagMap), nextCursor: null }),
  );
  api.post(
    "/official-account/tag-map",
    {
      config: { permission: "channels.manage" },
      schema: {
        tags,
        body: z.strictObject({ tag: z.string().trim().min(1).max(50) }),
        response: { 200: oaTagMapSchema },
      },
    },
    async (req) => oa(() => mapAndSyncTag(platform, req.caller().tenantId, req.actor(), req.body.tag)),
  );

  // ── welcome on follow ──
  api.get(
    "/official-account/welcome",
    { config: { permission: "channels.read" }, schema: { tags, response: { 200: oaWelcomeSchema } } },
    async (req) => ({ reply: await req.inTenant(getWelcome) }),
  );
  api.put(
    "/official-account/welcome",
    {
      config: { permission: "channels.manage" },
      schema: {
        tags,
        body: z.strictObject({ reply: oaPassiveReplySchema.nullable() }),
        response: { 200: oaWelcomeSchema },
      },
    },
    async (req) => ({
      reply: await req.inTenant((s) => saveWelcome(s, platform, req.actor(), req.body.reply)),
    }),
  );
}
