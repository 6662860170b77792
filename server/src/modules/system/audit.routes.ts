import { auditEntrySchema, listQuerySchema } from "@siyu/contracts";
import { z } from "zod";
import { listAudit } from "../../platform/audit/index.ts";
import type { Api, Platform } from "../../platform/platform.ts";

const iso = z.string().datetime({ offset: true });

export function auditRoutes(api: Api, platform: Platform) {
  api.get(
    "/audit",
    {
      config: { permission: "audit.read" },
      schema: {
        tags: ["audit"],
        querystring: listQuerySchema.extend({
          action: z.string().max(100).optional(),
          actorId: z.string().max(100).optional(),
          targetType: z.string().max(100).optional(),
          targetId: z.string().max(200).optional(),
          from: iso.optional(),
          to: iso.optional(),
        }),
        response: { 200: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => req.inTenant((s) => listAudit(s, req.query)),
  );

  api.get(
    "/audit/verify",
    {
      config: { permission: "audit.read" },
      schema: {
        tags: ["audit"],
        response: { 200: z.object({ ok: z.boolean(), rows: z.number(), brokenAt: z.string().optional() }) },
      },
    },
    async (req) => req.inTenant((s) => platform.audit.verify(s)),
  );
}
