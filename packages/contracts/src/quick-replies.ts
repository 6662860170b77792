/**
 * Quick replies (话术库, SPEC §2 "Staff sidebar"): the texts staff send to customers, grouped, searchable,
 * suggested from what the customer just wrote. Shared by the server routes, the console and the sidebar.
 */
import { z } from "zod";

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .regex(/^https?:\/\/[^\s]+$/i, "an http(s) URL");

/**
 * What can go with the text, in the shapes WeCom's message APIs take (image, link card, mini-program
 * card), so the sidebar can hand them to `sendChatMessage` as they are.
 */
export const quickReplyAttachmentSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("image"), url: httpUrl, name: z.string().trim().max(100).optional() }),
  z.strictObject({
    type: z.literal("link"),
    title: z.string().trim().min(1).max(128),
    url: httpUrl,
    description: z.string().trim().max(512).optional(),
    imageUrl: httpUrl.optional(),
  }),
  z.strictObject({
    type: z.literal("miniprogram"),
    title: z.string().trim().min(1).max(64),
    appId: z
      .string()
      .trim()
      .regex(/^wx[0-9a-zA-Z]{8,30}$/, "a mini-program appid (wx…)"),
    page: z.string().trim().min(1).max(512),
    imageUrl: httpUrl.optional(),
  }),
]);
export type QuickReplyAttachment = z.infer<typeof quickReplyAttachmentSchema>;

export const quickReplySchema = z.object({
  id: z.string(),
  groupId: z.string().nullable(),
  group: z.string().nullable(),
  title: z.string(),
  content: z.string(),
  attachments: z.array(quickReplyAttachmentSchema),
  keywords: z.array(z.string()),
  sortOrder: z.number().int(),
  useCount: z.number().int(),
  /** Personal replies belong to one staff member and only they see them; the rest are the tenant's. */
  personal: z.boolean(),
  ownerUserId: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type QuickReplyDto = z.infer<typeof quickReplySchema>;

export const quickReplySuggestionSchema = quickReplySchema.extend({
  /** Number of the reply's keywords found in the text (the ranking, then use count). */
  score: z.number().int(),
  /** The keywords that were found, to show why a reply is suggested. */
  matched: z.array(z.string()),
});
export type QuickReplySuggestion = z.infer<typeof quickReplySuggestionSchema>;

export const quickReplyGroupSchema = z.object({
  id: z.string(),
  name: z.string(),
  sortOrder: z.number().int(),
  /** Replies in the group the caller can see. */
  replies: z.number().int(),
  createdAt: z.string(),
});
export type QuickReplyGroupDto = z.infer<typeof quickReplyGroupSchema>;

const keyword = z.string().trim().min(1).max(30);

export const quickReplyCreateSchema = z.strictObject({
  title: z.string().trim().min(1).max(100),
  content: z.string().trim().min(1).max(4000),
  groupId: z.string().max(100).nullable().optional(),
  attachments: z.array(quickReplyAttachmentSchema).max(9).optional(),
  keywords: z.array(keyword).max(30).optional(),
  sortOrder: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  /** true: a personal reply of the caller (any staff who may use replies); false: the tenant's (editors only). */
  personal: z.boolean().optional(),
});
export type QuickReplyCreate = z.infer<typeof quickReplyCreateSchema>;

export const quickReplyUpdateSchema = quickReplyCreateSchema.omit({ personal: true }).partial();
export type QuickReplyUpdate = z.infer<typeof quickReplyUpdateSchema>;

export const quickReplyGroupCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(50),
  sortOrder: z.number().int().min(-1_000_000).max(1_000_000).optional(),
});
export const quickReplyGroupUpdateSchema = quickReplyGroupCreateSchema.partial();

export const quickReplyUseSchema = z.strictObject({
  /** The customer the reply was sent to: the use lands on their timeline. */
  customerId: z.string().min(1).max(100).optional(),
});
