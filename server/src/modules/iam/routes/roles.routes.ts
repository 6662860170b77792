import { lockedRoles, permissionSchema, permissions, roleSchema } from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { loadRoleGrants } from "../permissions.ts";
import { updateRole } from "../roles.service.ts";

const grantSchema = z.object({
  role: roleSchema,
  permissions: z.array(permissionSchema),
  dataScope: z.enum(["own", "department", "all"]),
  locked: z.boolean(),
});

export function rolesRoutes(api: Api, platform: Platform) {
  api.get(
    "/roles",
    {
      config: { permission: "users.read" },
      schema: {
        tags: ["roles"],
        response: { 200: z.object({ items: z.array(grantSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => loadRoleGrants(s)), nextCursor: null }),
  );

  api.get(
    "/permissions",
    {
      schema: {
        tags: ["roles"],
        response: { 200: z.object({ items: z.array(permissionSchema), lockedRoles: z.array(roleSchema) }) },
      },
    },
    async () => ({ items: permissions.filter((p) => p !== "tenants.manage"), lockedRoles }),
  );

  api.put(
    "/roles/:role",
    {
      config: { permission: "roles.manage" },
      schema: {
        tags: ["roles"],
        params: z.object({ role: roleSchema }),
        body: z.strictObject({
          permissions: z.array(permissionSchema).max(100),
          dataScope: z.enum(["own", "department", "all"]),
        }),
        response: { 200: grantSchema },
      },
    },
    async (req) => req.inTenant((s) => updateRole(s, platform.audit, req.actor(), req.params.role, req.body)),
  );
}
