import { z } from "zod";
import { loginResultSchema, permissionSchema, roleSchema } from "./api.ts";

/** DTOs the web console reads that `api.ts` does not describe yet. */

export const dataScopeSchema = z.enum(["own", "department", "all"]);
export const cipherSchema = z.enum(["aes-256-gcm", "sm4"]);
export type Cipher = z.infer<typeof cipherSchema>;

export const sessionUserSchema = loginResultSchema.shape.user;
export type SessionUser = z.infer<typeof sessionUserSchema>;

export const tenantSettingsSchema = z.object({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  cipher: cipherSchema,
});
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export const meResultSchema = z.object({ user: sessionUserSchema, tenant: tenantSettingsSchema });
export type MeResult = z.infer<typeof meResultSchema>;

export const departmentDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
});
export type DepartmentDto = z.infer<typeof departmentDtoSchema>;

export const roleGrantSchema = z.object({
  role: roleSchema,
  permissions: z.array(permissionSchema),
  dataScope: dataScopeSchema,
  locked: z.boolean(),
});
export type RoleGrant = z.infer<typeof roleGrantSchema>;

export const apiKeyDtoSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyDto = z.infer<typeof apiKeyDtoSchema>;
/** The answer of `POST /api/api-keys`: the only time the whole key is shown. */
export const apiKeyCreatedSchema = apiKeyDtoSchema.extend({ key: z.string() });
export type ApiKeyCreated = z.infer<typeof apiKeyCreatedSchema>;

export const auditVerifySchema = z.object({
  ok: z.boolean(),
  rows: z.number(),
  brokenAt: z.string().optional(),
});
export type AuditVerify = z.infer<typeof auditVerifySchema>;

export const keyRotationSchema = z.object({
  id: z.string(),
  status: z.string(),
  rowsDone: z.number(),
  rowsTotal: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type KeyRotation = z.infer<typeof keyRotationSchema>;
export const encryptionStatusSchema = z.object({
  keyVersion: z.number(),
  rotations: z.array(keyRotationSchema),
});
export type EncryptionStatus = z.infer<typeof encryptionStatusSchema>;

export const queueCountsSchema = z.object({
  waiting: z.number(),
  delayed: z.number(),
  active: z.number(),
  completed: z.number(),
  failed: z.number(),
  dead: z.number(),
});
export type QueueCounts = z.infer<typeof queueCountsSchema>;

export const systemOverviewSchema = z.object({
  tenant: z.object({ id: z.string(), name: z.string() }),
  users: z.number(),
  queues: z.record(z.string(), queueCountsSchema),
  mode: z.enum(["embedded", "cluster"]),
  role: z.string(),
  version: z.string(),
});
export type SystemOverview = z.infer<typeof systemOverviewSchema>;

export const deadLetterSchema = z.object({
  id: z.string(),
  name: z.string(),
  queue: z.string(),
  error: z.string().nullable(),
  attempts: z.number(),
  failedAt: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export const tenantDtoSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
export type TenantDto = z.infer<typeof tenantDtoSchema>;
