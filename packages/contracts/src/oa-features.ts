/**
 * The feature half of the Official Account engine (SPEC §4): parametric QR codes as channels with the
 * channel-statistics model shared with WeCom live codes, template messages, personalised menus by tag,
 * the welcome reply, the content library with tracked links, and cross-engine rules.
 */
import { z } from "zod";

const httpUrl = z
  .string()
  .trim()
  .max(1024)
  .regex(/^https?:\/\/[^\s]+$/i, "an http(s) URL");

// ── channel statistics: one model for WeCom live codes and OA QR codes ──

export const channelTypeValues = ["live_code", "oa_qr"] as const;
export type ChannelType = (typeof channelTypeValues)[number];

const channelCounts = {
  scans: z.number().int(),
  /** WeCom: contacts added; OA: new follows through the code. */
  adds: z.number().int(),
  /** WeCom: relations deleted; OA: unfollows of followers the code brought. */
  deletes: z.number().int(),
  deletesWithin24h: z.number().int(),
  netAdds: z.number().int(),
};

export const channelStatsSchema = z.object({
  channelType: z.enum(channelTypeValues),
  channelId: z.string(),
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  ...channelCounts,
  spendFen: z.number().int(),
  costPerAddFen: z.number().int().nullable(),
  daily: z.array(z.object({ date: z.string(), ...channelCounts })),
  /** Per staff member (WeCom live codes); empty for OA codes, which have no staff. */
  staff: z.array(z.object({ userid: z.string(), ...channelCounts })),
});
export type ChannelStatsDto = z.infer<typeof channelStatsSchema>;

export const channelOverviewItemSchema = z.object({
  channelType: z.enum(channelTypeValues),
  channelId: z.string(),
  name: z.string(),
  deleted: z.boolean(),
  /** OA codes: the Official Account (appid) whose code it is ('' for a code made before any); live codes: null. */
  appId: z.string().nullable(),
  /**
   * An OA code of an account other than the one connected now (a previous account): listed with its
   * history, after the current channels, read-only. Always false for live codes.
   */
  otherAccount: z.boolean(),
  ...channelCounts,
  spendFen: z.number().int(),
  costPerAddFen: z.number().int().nullable(),
});
export const channelOverviewSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  items: z.array(channelOverviewItemSchema),
  daily: z.array(z.object({ date: z.string(), channelType: z.enum(channelTypeValues), ...channelCounts })),
});
export type ChannelOverviewDto = z.infer<typeof channelOverviewSchema>;

export const channelStatsQuerySchema = z.object({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

/**
 * Which channels the overview shows by Official Account: `all` (default: the current ones first, then
 * a previous account's codes, labelled `otherAccount`), `current` (live codes and the connected
 * account's codes) or `previous` (only codes of accounts other than the connected one).
 */
export const channelAccountFilterValues = ["all", "current", "previous"] as const;
export type ChannelAccountFilter = (typeof channelAccountFilterValues)[number];

// ── OA parametric QR codes ──

/** A passive reply (protocols/official-account.md §4) in Siyu's shape. */
export const oaPassiveReplySchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), content: z.string().min(1).max(2000) }),
  z.strictObject({
    type: z.literal("news"),
    articles: z
      .array(
        z.strictObject({
          title: z.string().min(1).max(64),
          description: z.string().max(120).optional(),
          picUrl: httpUrl.optional(),
          url: httpUrl.optional(),
        }),
      )
      .min(1)
      .max(1),
  }),
  /** An article of the content library, linked through its tracked URL for the follower. */
  z.strictObject({ type: z.literal("article"), articleId: z.string().min(1).max(64) }),
]);
export type OaPassiveReplyInput = z.infer<typeof oaPassiveReplySchema>;

export const oaQrCodeCreateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    /** Scene string; generated from the id when omitted. */
    scene: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_\-.:]{1,64}$/, "1–64 letters, digits or _-.:")
      .optional(),
    permanent: z.boolean().default(false),
    /** Temporary codes: 60 s .. 2,592,000 s (30 days); default 30 days. */
    expireSeconds: z.number().int().min(60).max(2_592_000).optional(),
    tags: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
    oaTagIds: z.array(z.number().int().min(0)).max(20).default([]),
    welcome: oaPassiveReplySchema.nullable().optional(),
  })
  .refine((v) => !(v.permanent && v.expireSeconds !== undefined), {
    message: "a permanent code has no expiry",
    path: ["expireSeconds"],
  });
export type OaQrCodeCreateInput = z.input<typeof oaQrCodeCreateSchema>;

export const oaQrCodeUpdateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
  oaTagIds: z.array(z.number().int().min(0)).max(20).optional(),
  welcome: oaPassiveReplySchema.nullable().optional(),
});

export const oaQrCodeSchema = z.object({
  id: z.string(),
  /** The Official Account (appid) whose code it is (its ticket and scene are that account's). */
  appId: z.string(),
  /** Another account is connected now: the code is shown with its history, read-only, and counts for no one else. */
  otherAccount: z.boolean(),
  name: z.string(),
  scene: z.string(),
  permanent: z.boolean(),
  expireSeconds: z.number().nullable(),
  expiresAt: z.string().nullable(),
  expired: z.boolean(),
  ticket: z.string(),
  url: z.string(),
  imageUrl: z.string(),
  tags: z.array(z.string()),
  oaTagIds: z.array(z.number()),
  welcome: oaPassiveReplySchema.nullable(),
  createdAt: z.string(),
  deletedAt: z.string().nullable(),
  /** Totals of the last 30 days (the list only). */
  adds: z.number().int().optional(),
  scans: z.number().int().optional(),
});
export type OaQrCodeDto = z.infer<typeof oaQrCodeSchema>;

export const oaQrSpendCreateSchema = z
  .strictObject({
    periodStart: z.iso.date(),
    periodEnd: z.iso.date(),
    amountFen: z.number().int().min(0).max(1e12),
    note: z.string().trim().max(200).optional(),
  })
  .refine((s) => s.periodStart <= s.periodEnd, "periodStart after periodEnd");

// ── template messages ──

export const oaTemplateSchema = z.object({
  id: z.string(),
  templateId: z.string(),
  title: z.string(),
  content: z.string(),
  example: z.string(),
  /** The keys of the template's `{{key.DATA}}` slots, in order. */
  keys: z.array(z.string()),
  source: z.enum(["synced", "entered"]),
  updatedAt: z.string(),
});
export type OaTemplateDto = z.infer<typeof oaTemplateSchema>;

export const oaTemplateInputSchema = z.strictObject({
  templateId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "a template id"),
  title: z.string().trim().min(1).max(100),
  content: z.string().max(2000).default(""),
  example: z.string().max(2000).default(""),
});

const templateData = z.record(
  z.string().regex(/^[A-Za-z0-9_]{1,40}$/, "a template keyword key"),
  z.string().max(200),
);

export const oaTemplateSendSchema = z
  .strictObject({
    templateId: z.string().trim().min(1).max(128),
    customerIds: z.array(z.string().min(1).max(64)).max(500).optional(),
    segmentId: z.string().min(1).max(64).optional(),
    tag: z.string().min(1).max(50).optional(),
    /** Values per key; `{{name}}` in a value is replaced by the customer's name. */
    data: templateData,
    url: httpUrl.optional(),
    /** Link to an article of the content library (tracked URL per recipient); wins over url. */
    articleId: z.string().min(1).max(64).optional(),
    miniprogram: z
      .strictObject({ appid: z.string().regex(/^wx[A-Za-z0-9]{6,30}$/), pagepath: z.string().max(512) })
      .optional(),
    /**
     * For the contact policy (channel `oa_template`): `transactional` (service progress, a bill) is
     * exempt from caps and quiet hours when the channel says so. Default marketing.
     */
    purpose: z.enum(["marketing", "transactional"]).optional(),
  })
  .refine((v) => [v.customerIds, v.segmentId, v.tag].filter((x) => x !== undefined).length === 1, {
    message: "give exactly one of customerIds, segmentId or tag",
  });
export type OaTemplateSendInput = z.input<typeof oaTemplateSendSchema>;

export const oaTemplateBatchSchema = z.object({
  id: z.string(),
  /** The Official Account (appid) it was sent through; history stays with it after a switch. */
  appId: z.string(),
  templateId: z.string(),
  status: z.enum(["queued", "sending", "done"]),
  total: z.number().int(),
  /** Recipients without a following openid (not sent). */
  skipped: z.number().int(),
  createdAt: z.string(),
  counts: z.record(z.string(), z.number().int()),
});
export type OaTemplateBatchDto = z.infer<typeof oaTemplateBatchSchema>;

export const oaTemplateSendRowSchema = z.object({
  id: z.string(),
  batchId: z.string().nullable(),
  openid: z.string(),
  customerId: z.string().nullable(),
  templateId: z.string(),
  msgid: z.string().nullable(),
  status: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type OaTemplateSendRowDto = z.infer<typeof oaTemplateSendRowSchema>;

// ── menus ──

export type OaMenuButtonInput = {
  type?: "click" | "view" | "miniprogram" | undefined;
  name: string;
  key?: string | undefined;
  url?: string | undefined;
  appid?: string | undefined;
  pagepath?: string | undefined;
  sub_button?: OaMenuButtonInput[] | undefined;
};

const leafButton = z.strictObject({
  type: z.enum(["click", "view", "miniprogram"]),
  name: z.string().trim().min(1).max(20),
  key: z.string().max(128).optional(),
  url: httpUrl.optional(),
  appid: z.string().max(64).optional(),
  pagepath: z.string().max(512).optional(),
});
const topButton = z.strictObject({
  type: z.enum(["click", "view", "miniprogram"]).optional(),
  name: z.string().trim().min(1).max(16),
  key: z.string().max(128).optional(),
  url: httpUrl.optional(),
  appid: z.string().max(64).optional(),
  pagepath: z.string().max(512).optional(),
  sub_button: z.array(leafButton).max(5).optional(),
});
export const oaMenuButtonsSchema = z.array(topButton).min(1).max(3);

export const oaMenuInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(60),
  /** null: the default menu (one per account); otherwise a conditional menu for followers with this Siyu tag. */
  tag: z.string().trim().min(1).max(50).nullable(),
  buttons: oaMenuButtonsSchema,
});
export type OaMenuInput = z.input<typeof oaMenuInputSchema>;

export const oaMenuSchema = z.object({
  id: z.string(),
  name: z.string(),
  tag: z.string().nullable(),
  oaTagId: z.number().nullable(),
  buttons: z.array(z.any()),
  status: z.enum(["draft", "published", "failed"]),
  menuid: z.string().nullable(),
  error: z.string().nullable(),
  publishedAt: z.string().nullable(),
  updatedAt: z.string(),
  /** A menu deleted in Siyu that WeChat still has: its removal is under way, or failed (see `error`). */
  removal: z.enum(["pending", "failed"]).nullable(),
});
export type OaMenuDto = z.infer<typeof oaMenuSchema>;

export const oaTagMapSchema = z.object({
  tag: z.string(),
  oaTagId: z.number(),
  oaTagName: z.string(),
  members: z.number().int(),
  syncedAt: z.string().nullable(),
});
export type OaTagMapDto = z.infer<typeof oaTagMapSchema>;

// ── welcome (reply on follow) ──

export const oaWelcomeSchema = z.object({ reply: oaPassiveReplySchema.nullable() });

// ── content library ──

export const contentArticleInputSchema = z.strictObject({
  title: z.string().trim().min(1).max(64),
  coverUrl: httpUrl.optional(),
  summary: z.string().trim().max(120).default(""),
  url: httpUrl,
});
export type ContentArticleInput = z.input<typeof contentArticleInputSchema>;

export const contentArticleSchema = z.object({
  id: z.string(),
  title: z.string(),
  coverUrl: z.string().nullable(),
  summary: z.string(),
  url: z.string(),
  code: z.string(),
  /** The tracked link without a recipient (anonymous clicks). */
  trackedUrl: z.string(),
  clicks: z.number().int(),
  anonymousClicks: z.number().int(),
  createdAt: z.string(),
});
export type ContentArticleDto = z.infer<typeof contentArticleSchema>;

// ── cross-engine rules and follow-ups ──

export const engagementRuleKinds = ["oa_message_followup", "tag_sends_article"] as const;

export const engagementRuleInputSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("oa_message_followup"),
    name: z.string().trim().min(1).max(100),
    enabled: z.boolean().default(true),
    /** Only messages containing this text (empty: every message). */
    keyword: z.string().trim().max(50).default(""),
  }),
  z.strictObject({
    kind: z.literal("tag_sends_article"),
    name: z.string().trim().min(1).max(100),
    enabled: z.boolean().default(true),
    tag: z.string().trim().min(1).max(50),
    articleId: z.string().min(1).max(64),
    templateId: z.string().trim().min(1).max(128),
    /** Template values; `{{title}}` is the article's title, `{{name}}` the customer's name. */
    data: templateData,
  }),
]);
export type EngagementRuleInput = z.input<typeof engagementRuleInputSchema>;

export const engagementRuleSchema = z.object({
  id: z.string(),
  kind: z.enum(engagementRuleKinds),
  name: z.string(),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  fired: z.number().int(),
  createdAt: z.string(),
});
export type EngagementRuleDto = z.infer<typeof engagementRuleSchema>;

export const followUpSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  ownerUserid: z.string().nullable(),
  title: z.string(),
  detail: z.string(),
  source: z.string(),
  status: z.enum(["open", "done"]),
  createdAt: z.string(),
  doneAt: z.string().nullable(),
});
export type FollowUpDto = z.infer<typeof followUpSchema>;
