import { contentArticleInputSchema, contentArticleSchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { deleteArticle, listArticles, saveArticle } from "../content.service.ts";

const tags = ["content"];
const idParams = z.object({ id: z.string().min(1).max(64) });

/** `/api/content/articles`: the content library. */
export function contentRoutes(api: Api, platform: Platform) {
  api.get(
    "/content/articles",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        response: { 200: z.object({ items: z.array(contentArticleSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listArticles(s, platform)), nextCursor: null }),
  );
  api.post(
    "/content/articles",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: contentArticleInputSchema, response: { 201: contentArticleSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => saveArticle(s, platform, req.actor(), req.body))),
  );
  api.put(
    "/content/articles/:id",
    {
      config: { permission: "channels.manage", resource: "content_article" },
      schema: {
        tags,
        params: idParams,
        body: contentArticleInputSchema,
        response: { 200: contentArticleSchema },
      },
    },
    async (req) => req.inTenant((s) => saveArticle(s, platform, req.actor(), req.body, req.params.id)),
  );
  api.delete(
    "/content/articles/:id",
    {
      config: { permission: "channels.manage", resource: "content_article" },
      schema: { tags, params: idParams },
    },
    async (req, reply) => {
      await req.inTenant((s) => deleteArticle(s, platform, req.actor(), req.params.id));
      return reply.status(204).send();
    },
  );
}
