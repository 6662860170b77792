/**
 * Customers API DTOs (SPEC §1). The full route list — the `$CUSTAPI` of the console's brief — is in
 * `docs/customers-api.md` at the repository root.
 */
import { z } from "zod";

export const identityTypes = [
  "phone",
  "email",
  "wecom_external_userid",
  "oa_openid",
  "unionid",
  "youzan",
  "taobao",
  "douyin",
  "jd",
  "custom",
] as const;
export type IdentityType = (typeof identityTypes)[number];
export const identityTypeSchema = z.enum(identityTypes);

export const attributeValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.string()),
  z.null(),
]);

export const customerTagSchema = z.object({
  id: z.string(),
  name: z.string(),
  group: z.string().nullable(),
  color: z.string(),
});

export const customerSchema = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  attributes: z.record(z.string(), attributeValueSchema),
  tags: z.array(customerTagSchema),
  identities: z.array(z.object({ type: z.string(), value: z.string(), scope: z.string().optional() })),
  ownerUserIds: z.array(z.string()),
  lifecycleStage: z.string().nullable(),
  source: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CustomerDto = z.infer<typeof customerSchema>;

export const timelineEntrySchema = z.object({
  id: z.string(),
  type: z.string(),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const tagSchema = z.object({
  id: z.string(),
  name: z.string(),
  color: z.string(),
  groupId: z.string().nullable(),
  group: z.string().nullable(),
  customers: z.number(),
});
export type TagDto = z.infer<typeof tagSchema>;

export const customerStatsSchema = z.object({
  customers: z.number(),
  identities: z.number(),
  /** Share of customers reached through two or more kinds of identity. */
  unificationRate: z.number(),
  unified: z.number(),
  /** Profiles merged into another person (hidden, undoable). */
  mergedProfiles: z.number(),
  byIdentityType: z.record(z.string(), z.number()),
});
