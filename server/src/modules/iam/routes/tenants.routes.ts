import { listQuerySchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { createTenant, listTenants } from "../tenants.service.ts";

export function tenantsRoutes(api: Api, platform: Platform) {
  api.post(
    "/tenants",
    {
      config: { platformAdmin: true },
      schema: {
        tags: ["tenants"],
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          admin: z.strictObject({
            email: z.string().email().max(254),
            password: z.string().max(200),
            name: z.string().trim().min(1).max(100).optional(),
          }),
        }),
        response: { 201: z.object({ id: z.string(), name: z.string() }) },
      },
    },
    async (req, reply) => {
      const t = await createTenant(platform.db, platform.audit, req.actor(), req.body);
      // The platform admin's own tenant records that it created another tenant.
      await req.inTenant((s) =>
        platform.audit.record(s, req.actor(), {
          action: "tenant.created",
          targetType: "tenant",
          targetId: t.id,
          data: { name: t.name },
        }),
      );
      return reply.status(201).send({ id: t.id, name: t.name });
    },
  );

  api.get(
    "/tenants",
    {
      config: { platformAdmin: true },
      schema: {
        tags: ["tenants"],
        querystring: listQuerySchema,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                status: z.string(),
                demo: z.boolean(),
                createdAt: z.string(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => listTenants(platform.db, req.query),
  );
}
