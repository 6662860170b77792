import { z } from "zod";
import { permissions, roles } from "./roles.ts";

/** Shared DTO schemas used by the server routes and the web console. */

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const roleSchema = z.enum(roles);
export const permissionSchema = z.enum(permissions);

export const userDtoSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  tenantId: z.string(),
  roles: z.array(roleSchema),
  departmentId: z.string().nullable(),
  status: z.enum(["active", "disabled"]),
  platformAdmin: z.boolean(),
  createdAt: z.string(),
});
export type UserDto = z.infer<typeof userDtoSchema>;

export const loginBodySchema = z.object({
  email: z.string().email().max(254),
  password: z.string().min(1).max(200),
});

export const loginResultSchema = z.object({
  token: z.string(),
  user: z.object({
    id: z.string(),
    email: z.string(),
    tenantId: z.string(),
    roles: z.array(roleSchema),
    name: z.string(),
    permissions: z.array(permissionSchema),
    platformAdmin: z.boolean(),
  }),
  expiresAt: z.string(),
});
export type LoginResult = z.infer<typeof loginResultSchema>;

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  data: z.unknown(),
  ip: z.string().nullable(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
