import { z } from "zod";
import { syncRunFields } from "./sync-runs.ts";

/** The real Official Account API origin. */
export const oaDefaultApiBase = "https://api.weixin.qq.com";

export const oaMessageModeValues = ["plain", "compatible", "safe"] as const;
export type OaMessageModeValue = (typeof oaMessageModeValues)[number];

/** `PUT /api/settings/official-account` (CONTRACT.md "Official Account"). */
export const oaSettingsInputSchema = z
  .strictObject({
    appId: z
      .string()
      .trim()
      .regex(/^wx[A-Za-z0-9]{6,30}$/, "appId is wx followed by letters and digits"),
    secret: z.string().trim().min(1).max(256),
    token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, "token is 3–32 letters or digits (WeChat's rule)"),
    encodingAesKey: z
      .string()
      .regex(/^[A-Za-z0-9]{43}$/, "encodingAesKey is exactly 43 letters or digits")
      .optional(),
    mode: z.enum(oaMessageModeValues),
    apiBase: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), "apiBase must be an http(s) URL")
      .optional(),
  })
  .refine((v) => v.mode === "plain" || v.encodingAesKey !== undefined, {
    message: "compatible and safe mode need an encodingAesKey",
    path: ["encodingAesKey"],
  });
export type OaSettingsInput = z.input<typeof oaSettingsInputSchema>;

export const oaSettingsSchema = z.object({
  configured: z.boolean(),
  appId: z.string().nullable(),
  /** Masked (`ab****yz`); secrets are never returned. */
  secret: z.string().nullable(),
  token: z.string().nullable(),
  encodingAesKey: z.string().nullable(),
  mode: z.enum(oaMessageModeValues).nullable(),
  apiBase: z.string(),
  /** The account's original id (gh_…), learned from its first callback. */
  originalId: z.string().nullable(),
  /** Paste into the Official Account console (服务器地址 URL). */
  callbackUrl: z.string(),
  updatedAt: z.string().nullable(),
});
export type OaSettingsDto = z.infer<typeof oaSettingsSchema>;

export const oaSyncKinds = ["followers"] as const;
export const oaSyncStartSchema = z.strictObject({ kind: z.enum(oaSyncKinds).default("followers") });

export const oaSyncRunSchema = z.object({
  id: z.string(),
  /** The Official Account (appid) whose followers it walks. */
  appId: z.string(),
  ...syncRunFields,
});
export type OaSyncRunDto = z.infer<typeof oaSyncRunSchema>;

export const oaFollowerSchema = z.object({
  openid: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  unionid: z.string().nullable(),
  subscribed: z.boolean(),
  subscribeTime: z.string().nullable(),
  unsubscribedAt: z.string().nullable(),
  subscribeScene: z.string().nullable(),
  qrScene: z.string().nullable(),
  tagIds: z.array(z.number()),
  lastInteractionAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type OaFollowerDto = z.infer<typeof oaFollowerSchema>;

export const oaFollowerStatsSchema = z.object({
  followers: z.number(),
  subscribed: z.number(),
  unsubscribed: z.number(),
  withUnionid: z.number(),
  /** Followers whose customer is also a WeCom contact (same unionid: one person). */
  linkedToWecom: z.number(),
});

export const oaEventTaskSchema = z.object({
  inboxId: z.number(),
  kind: z.string(),
  openid: z.string(),
  status: z.enum(["pending", "done", "ignored", "failed"]),
  attempts: z.number(),
  error: z.string().nullable(),
  createdAt: z.string(),
  doneAt: z.string().nullable(),
});
export type OaEventTaskDto = z.infer<typeof oaEventTaskSchema>;

/** A passive reply an auto-reply answers with (text now; the features add images and articles). */
export const oaReplySchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), content: z.string().min(1).max(2000) }),
  z.strictObject({ type: z.literal("image"), mediaId: z.string().min(1).max(200) }),
  z.strictObject({
    type: z.literal("news"),
    articles: z
      .array(
        z.strictObject({
          title: z.string().min(1).max(64),
          description: z.string().max(120).optional(),
          picUrl: z.string().url().optional(),
          url: z.string().url().optional(),
        }),
      )
      .min(1)
      .max(1),
  }),
  /** An article of the content library: sent as a one-article news reply with a per-follower tracked link. */
  z.strictObject({ type: z.literal("article"), articleId: z.string().min(1).max(64) }),
]);

export const oaKeywordReplyInputSchema = z.strictObject({
  keyword: z.string().trim().min(1).max(30),
  match: z.enum(["exact", "contains"]).default("exact"),
  reply: oaReplySchema,
  enabled: z.boolean().default(true),
  priority: z.number().int().min(0).max(1000).default(0),
});
export type OaKeywordReplyInput = z.input<typeof oaKeywordReplyInputSchema>;

export const oaKeywordReplySchema = z.object({
  id: z.string(),
  keyword: z.string(),
  match: z.enum(["exact", "contains"]),
  reply: oaReplySchema,
  enabled: z.boolean(),
  priority: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type OaKeywordReplyDto = z.infer<typeof oaKeywordReplySchema>;
