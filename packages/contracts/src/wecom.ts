/** WeCom engine API DTOs (CONTRACT.md "WeCom", SPEC §2). */
import { z } from "zod";
import { syncRunFields } from "./sync-runs.ts";

/** The real WeCom API origin; the sandbox and tests point `apiBase` elsewhere. */
export const wecomDefaultApiBase = "https://qyapi.weixin.qq.com";

export const wecomSettingsInputSchema = z.strictObject({
  corpId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "corpId is letters, digits, - and _ (at most 64)"),
  agentId: z
    .union([z.string(), z.number().int()])
    .transform(String)
    .pipe(z.string().regex(/^\d{1,20}$/, "agentId is a number")),
  secret: z.string().trim().min(1).max(256),
  contactSecret: z.string().trim().min(1).max(256),
  callbackToken: z
    .string()
    .regex(/^[A-Za-z0-9]{1,32}$/, "callbackToken is 1–32 letters or digits (WeCom's rule)"),
  encodingAesKey: z.string().regex(/^[A-Za-z0-9]{43}$/, "encodingAesKey is exactly 43 letters or digits"),
  apiBase: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), "apiBase must be an http(s) URL")
    .optional(),
});
export type WecomSettingsInput = z.input<typeof wecomSettingsInputSchema>;

export const wecomSettingsSchema = z.object({
  configured: z.boolean(),
  corpId: z.string().nullable(),
  agentId: z.string().nullable(),
  /** Masked (`ab****yz`); the secrets themselves are never returned. */
  secret: z.string().nullable(),
  contactSecret: z.string().nullable(),
  callbackToken: z.string().nullable(),
  encodingAesKey: z.string().nullable(),
  apiBase: z.string(),
  /** Paste into WeCom's callback configuration. */
  callbackUrl: z.string(),
  updatedAt: z.string().nullable(),
});
export type WecomSettingsDto = z.infer<typeof wecomSettingsSchema>;

/** `reconcile`: the backup channel — compares WeCom with Siyu and repairs only what differs. */
export const wecomSyncKinds = ["all", "org", "contacts", "tags", "groups", "reconcile"] as const;
export type WecomSyncKind = (typeof wecomSyncKinds)[number];

export const wecomSyncStartSchema = z.strictObject({ kind: z.enum(wecomSyncKinds).default("all") });

export const wecomSyncRunSchema = z.object({
  id: z.string(),
  ...syncRunFields,
});
export type WecomSyncRunDto = z.infer<typeof wecomSyncRunSchema>;

export const wecomStaffSchema = z.object({
  userid: z.string(),
  name: z.string(),
  departmentIds: z.array(z.number()),
  hasContactPermission: z.boolean(),
  status: z.enum(["active", "resigned"]),
  /** The Siyu login linked to the member (user ↔ WeCom member map), or null. */
  userId: z.string().nullable(),
  /**
   * How the link came to be: `email` — matched by e-mail in an org sync; `manual` — set or cleared by
   * an admin (org syncs leave it alone, also when cleared: userId null); null — never linked.
   */
  userLink: z.enum(["email", "manual"]).nullable(),
  contacts: z.number(),
});
export type WecomStaffDto = z.infer<typeof wecomStaffSchema>;

/** `PUT /api/wecom/staff/:userid/user`: link the member to a login of the tenant, or unlink (null). */
export const wecomStaffLinkInputSchema = z.object({ userId: z.string().min(1).max(100).nullable() });
export type WecomStaffLinkInput = z.infer<typeof wecomStaffLinkInputSchema>;

export const wecomGroupSchema = z.object({
  chatId: z.string(),
  name: z.string(),
  ownerUserid: z.string().nullable(),
  memberCount: z.number(),
  memberVersion: z.string().nullable(),
  dismissed: z.boolean(),
  updatedAt: z.string(),
});
export type WecomGroupDto = z.infer<typeof wecomGroupSchema>;

export const wecomEventSchema = z.object({
  inboxId: z.string(),
  kind: z.string(),
  status: z.enum(["pending", "done", "ignored", "failed"]),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type WecomEventDto = z.infer<typeof wecomEventSchema>;

export const wecomAlertSchema = z.object({
  id: z.string(),
  kind: z.string(),
  customerId: z.string().nullable(),
  recipientUserids: z.array(z.string()),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  read: z.boolean(),
});
export type WecomAlertDto = z.infer<typeof wecomAlertSchema>;

/** Paged list envelope used by the WeCom list routes. */
export const wecomList = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
