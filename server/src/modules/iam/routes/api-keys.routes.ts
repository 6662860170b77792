import { listQuerySchema, permissionSchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../api-keys.service.ts";

const keySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(permissionSchema),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export function apiKeysRoutes(api: Api, platform: Platform) {
  api.get(
    "/api-keys",
    {
      config: { permission: "apikeys.manage" },
      schema: {
        tags: ["api-keys"],
        querystring: listQuerySchema,
        response: { 200: z.object({ items: z.array(keySchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => req.inTenant((s) => listApiKeys(s, req.query)),
  );

  api.post(
    "/api-keys",
    {
      config: { permission: "apikeys.manage" },
      schema: {
        tags: ["api-keys"],
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(permissionSchema).min(1).max(50),
          expiresAt: z.string().datetime({ offset: true }).nullable().optional(),
        }),
        response: { 201: keySchema.extend({ key: z.string() }) },
      },
    },
    async (req, reply) => {
      const auth = req.caller();
      const key = await req.inTenant((s) =>
        createApiKey(s, platform.audit, req.actor(), auth.permissions, req.body),
      );
      return reply.status(201).send(key);
    },
  );

  api.delete(
    "/api-keys/:id",
    {
      config: { permission: "apikeys.manage", resource: "api_key" },
      schema: {
        tags: ["api-keys"],
        params: z.object({ id: z.string().max(100) }),
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async (req) => {
      await req.inTenant((s) => revokeApiKey(s, platform.audit, req.actor(), req.params.id));
      return { ok: true as const };
    },
  );
}
