/**
 * Channel live codes (渠道活码, SPEC §3, CONTRACT "Channel live codes"): a WeCom contact way per code with
 * its own `state`, a staff pool with an allocation strategy and daily caps, auto tags and remark, a
 * welcome message with time-of-day / weekday variants, a hosted landing link, and statistics.
 */
import { z } from "zod";

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .regex(/^https?:\/\/[^\s]+$/i, "an http(s) URL");

/** A WeCom member id (userid): letters, digits, `_ - . @`, ≤ 64. */
export const wecomUseridSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.@-]{1,64}$/, "a WeCom userid");

/** What goes with the welcome text, in Siyu's shape; mapped to WeCom's attachments when sent. */
export const welcomeAttachmentSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("image"), url: httpUrl }),
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
    /** WeCom needs an uploaded media id for the card's picture. */
    picMediaId: z.string().trim().min(1).max(200),
  }),
]);
export type WelcomeAttachment = z.infer<typeof welcomeAttachmentSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");
/** ISO weekdays, 1 = Monday … 7 = Sunday, in the tenant's time zone. */
const weekdays = z.array(z.number().int().min(1).max(7)).min(1).max(7);

/** Welcome text: ≤ 4000 bytes in WeCom; `{{nickname}}` becomes the customer's WeChat name. */
const welcomeText = z.string().trim().max(1500);

export const welcomeVariantSchema = z
  .strictObject({
    name: z.string().trim().max(50).optional(),
    /** Days it applies on (tenant time zone); all days when absent. */
    weekdays: weekdays.optional(),
    /** Wall-clock window [from, to) in the tenant's zone; `to` < `from` spans midnight. */
    from: hhmm.optional(),
    to: hhmm.optional(),
    text: welcomeText.optional(),
    attachments: z.array(welcomeAttachmentSchema).max(9).optional(),
  })
  .refine((v) => (v.from === undefined) === (v.to === undefined), "from and to go together")
  .refine((v) => Boolean(v.text) || Boolean(v.attachments?.length), "a variant needs text or attachments");

export const welcomeSchema = z
  .strictObject({
    text: welcomeText.optional(),
    attachments: z.array(welcomeAttachmentSchema).max(9).optional(),
    /** The first variant whose days and hours match the add's time wins; else text/attachments above. */
    variants: z.array(welcomeVariantSchema).max(20).optional(),
  })
  .refine(
    (w) => Boolean(w.text) || Boolean(w.attachments?.length) || Boolean(w.variants?.length),
    "the welcome message needs text, attachments or variants",
  );
export type WelcomeInput = z.infer<typeof welcomeSchema>;

export const allocationStrategies = [
  "round_robin",
  "least_loaded",
  "weighted",
  "working_hours",
  "by_region",
] as const;
export type AllocationStrategy = (typeof allocationStrategies)[number];

/** A province or city a staff member serves (by_region), e.g. `广东`, `广州`, `上海`. */
export const regionNameSchema = z.string().trim().min(1).max(30);

/**
 * Per staff member of the pool: weight (weighted), own daily cap, working hours (working_hours: up to
 * 14 windows, e.g. two a day), regions (by_region).
 */
export const staffOptionSchema = z.strictObject({
  weight: z.number().int().min(1).max(100).optional(),
  dailyCap: z.number().int().min(1).max(100_000).optional(),
  hours: z
    .array(
      z
        .strictObject({ weekdays: weekdays.optional(), from: hhmm, to: hhmm })
        .refine((h) => h.from !== h.to, "from and to must differ"),
    )
    .max(14)
    .optional(),
  regions: z.array(regionNameSchema).max(50).optional(),
});
export type StaffOption = z.infer<typeof staffOptionSchema>;

const staffList = z.array(wecomUseridSchema).min(1).max(100);
const tagName = z.string().trim().min(1).max(30);

const liveCodeFields = {
  name: z.string().trim().min(1).max(100),
  staffUserIds: staffList,
  tags: z.array(tagName).max(20).optional(),
  welcome: welcomeSchema.optional(),
  strategy: z.enum(allocationStrategies).optional(),
  /** Adds per staff member per day (tenant zone) before they leave the code's pool until tomorrow. */
  dailyCap: z.number().int().min(1).max(100_000).nullable().optional(),
  /** Take over when every pool member is capped or off duty. */
  backupUserIds: z.array(wecomUseridSchema).max(100).optional(),
  staffOptions: z.record(wecomUseridSchema, staffOptionSchema).optional(),
  /** WeCom remark of the new contact, e.g. `{{channel}}-{{nickname}}` (cut to WeCom's 20 characters). */
  remarkTemplate: z.string().trim().max(100).nullable().optional(),
  skipVerify: z.boolean().optional(),
  validFrom: z.iso.datetime({ offset: true }).nullable().optional(),
  validUntil: z.iso.datetime({ offset: true }).nullable().optional(),
};

export const liveCodeCreateSchema = z.strictObject(liveCodeFields);
export type LiveCodeCreateInput = z.infer<typeof liveCodeCreateSchema>;

export const liveCodeUpdateSchema = z.strictObject({
  name: liveCodeFields.name.optional(),
  staffUserIds: staffList.optional(),
  tags: liveCodeFields.tags,
  welcome: welcomeSchema.nullable().optional(),
  strategy: liveCodeFields.strategy,
  dailyCap: liveCodeFields.dailyCap,
  backupUserIds: liveCodeFields.backupUserIds,
  staffOptions: liveCodeFields.staffOptions,
  remarkTemplate: liveCodeFields.remarkTemplate,
  skipVerify: liveCodeFields.skipVerify,
  validFrom: liveCodeFields.validFrom,
  validUntil: liveCodeFields.validUntil,
});
export type LiveCodeUpdateInput = z.infer<typeof liveCodeUpdateSchema>;

export const liveCodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The contact way's `state` (≤ 30 chars), echoed by WeCom in add_external_contact. */
  state: z.string(),
  configId: z.string(),
  /** WeCom's QR image URL of the contact way. */
  qrUrl: z.string(),
  /** The hosted landing page that records the scan, then shows the QR. */
  landingUrl: z.string(),
  /** PNG of the landing URL (`GET /api/live-codes/:id/qr.png`). */
  qrPngUrl: z.string(),
  staffUserIds: z.array(z.string()),
  backupUserIds: z.array(z.string()),
  /** Who the contact way holds right now (after caps, hours and strategy). */
  activeUserIds: z.array(z.string()),
  strategy: z.enum(allocationStrategies),
  dailyCap: z.number().int().nullable(),
  staffOptions: z.record(z.string(), staffOptionSchema),
  tags: z.array(z.string()),
  welcome: welcomeSchema.nullable(),
  remarkTemplate: z.string().nullable(),
  skipVerify: z.boolean(),
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  status: z.enum(["active", "expired", "deleted"]),
  adds: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
});
export type LiveCodeDto = z.infer<typeof liveCodeSchema>;

export const liveCodeListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  q: z.string().trim().max(100).optional(),
  includeDeleted: z.enum(["true", "false"]).optional(),
});

export const liveCodeStatsQuerySchema = z.object({
  /** Inclusive local dates (tenant zone); default the last 30 days. */
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

const counts = {
  scans: z.number().int(),
  adds: z.number().int(),
  deletes: z.number().int(),
  /** Deletions within 24 h of the add they end. */
  deletesWithin24h: z.number().int(),
  netAdds: z.number().int(),
};

export const liveCodeStatsSchema = z.object({
  liveCodeId: z.string(),
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  ...counts,
  /** Adds after the code's validity ended (still counted to it). */
  expiredAdds: z.number().int(),
  welcome: z.object({
    sent: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
    /** Adds with no welcome to send (WeCom gave no code, the code has no message, or it was deleted). */
    skipped: z.number().int(),
  }),
  spendFen: z.number().int(),
  /** spendFen / adds, rounded; null without adds. */
  costPerAddFen: z.number().int().nullable(),
  daily: z.array(z.object({ date: z.string(), ...counts })),
  staff: z.array(z.object({ userid: z.string(), ...counts })),
});
export type LiveCodeStatsDto = z.infer<typeof liveCodeStatsSchema>;

export const liveCodeSpendCreateSchema = z
  .strictObject({
    periodStart: z.iso.date(),
    periodEnd: z.iso.date(),
    amountFen: z.number().int().min(0).max(1e12),
    note: z.string().trim().max(200).optional(),
  })
  .refine((s) => s.periodStart <= s.periodEnd, "periodStart after periodEnd");

export const liveCodeSpendSchema = z.object({
  id: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  amountFen: z.number().int(),
  note: z.string().nullable(),
  createdAt: z.string(),
});
export type LiveCodeSpendDto = z.infer<typeof liveCodeSpendSchema>;

export const liveCodeAddSchema = z.object({
  id: z.string(),
  liveCodeId: z.string().nullable(),
  state: z.string(),
  userid: z.string(),
  externalUserid: z.string(),
  customerId: z.string().nullable(),
  kind: z.enum(["add", "half"]),
  expired: z.boolean(),
  welcomeStatus: z.enum(["none", "pending", "sent", "failed", "unknown"]),
  welcomeError: z.string().nullable(),
  welcomeErrcode: z.number().int().nullable(),
  welcomeVariant: z.string().nullable(),
  /** When WeCom accepted the welcome message. */
  welcomeSentAt: z.string().nullable(),
  /** From the callback's receipt (its inbox row) to WeCom's answer to send_welcome_msg. */
  welcomeLatencyMs: z.number().int().nullable(),
  remarkStatus: z.string(),
  addedAt: z.string(),
});
export type LiveCodeAddDto = z.infer<typeof liveCodeAddSchema>;

export const liveCodeScanSchema = z.object({
  id: z.string(),
  scannedAt: z.string(),
  userAgent: z.string().nullable(),
  referer: z.string().nullable(),
  params: z.record(z.string(), z.string()),
});
export type LiveCodeScanDto = z.infer<typeof liveCodeScanSchema>;

export const channelListOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Poster designs of `GET /api/live-codes/:id/poster.png` (750 × 1334, a phone screen). */
export const posterTemplates = ["classic", "festive", "minimal"] as const;
export type PosterTemplate = (typeof posterTemplates)[number];

export const liveCodePosterQuerySchema = z.object({
  template: z.enum(posterTemplates).default("classic"),
  /** Defaults to the code's name. */
  title: z.string().trim().max(40).optional(),
  subtitle: z.string().trim().max(80).optional(),
  /** Printed at the foot, e.g. the shop's name. */
  store: z.string().trim().max(40).optional(),
});
export type LiveCodePosterQuery = z.infer<typeof liveCodePosterQuerySchema>;

/** One customer group of a group live code, in rotation order. */
export const groupCodeChatInputSchema = z.strictObject({
  /** A WeCom customer group's chat id (from the synced groups, `GET /api/wecom/groups`). */
  chatId: z.string().trim().min(1).max(128),
  /** Members at which the code moves on to the next group. Default 200 (WeCom's customer group size). */
  capacity: z.number().int().min(1).max(2000).optional(),
  /** The group's own QR image (made in WeCom), shown on the landing page. */
  qrImageUrl: httpUrl.nullable().optional(),
});

const groupCodeFields = {
  name: z.string().trim().min(1).max(100),
  chats: z
    .array(groupCodeChatInputSchema)
    .min(1)
    .max(50)
    .refine((c) => new Set(c.map((x) => x.chatId)).size === c.length, "a group appears twice"),
  /** Shown on the landing page when every group is full. */
  fullMessage: z.string().trim().max(200).nullable().optional(),
};

export const groupCodeCreateSchema = z.strictObject(groupCodeFields);
export type GroupCodeCreateInput = z.infer<typeof groupCodeCreateSchema>;

export const groupCodeUpdateSchema = z.strictObject({
  name: groupCodeFields.name.optional(),
  chats: groupCodeFields.chats.optional(),
  fullMessage: groupCodeFields.fullMessage,
});
export type GroupCodeUpdateInput = z.infer<typeof groupCodeUpdateSchema>;

export const groupCodeChatSchema = z.object({
  chatId: z.string(),
  /** The group's name as WeCom last told (empty when never synced). */
  name: z.string(),
  capacity: z.number().int(),
  qrImageUrl: z.string().nullable(),
  memberCount: z.number().int(),
  /** Reached its capacity, or dismissed. */
  full: z.boolean(),
  dismissed: z.boolean(),
  /** Joins through this code's landing period (members who joined while it was in the code). */
  joins: z.number().int(),
});

export const groupCodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  landingUrl: z.string(),
  qrPngUrl: z.string(),
  chats: z.array(groupCodeChatSchema),
  /** The group the landing page shows now (the first with room), null when all are full. */
  currentChatId: z.string().nullable(),
  fullMessage: z.string().nullable(),
  status: z.enum(["active", "full", "deleted"]),
  /** When every group became full (the owner was alerted then). */
  allFullAt: z.string().nullable(),
  scans: z.number().int(),
  joins: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
});
export type GroupCodeDto = z.infer<typeof groupCodeSchema>;

export const groupCodeStatsSchema = z.object({
  groupCodeId: z.string(),
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  scans: z.number().int(),
  joins: z.number().int(),
  daily: z.array(z.object({ date: z.string(), scans: z.number().int(), joins: z.number().int() })),
  chats: z.array(z.object({ chatId: z.string(), scans: z.number().int(), joins: z.number().int() })),
});
export type GroupCodeStatsDto = z.infer<typeof groupCodeStatsSchema>;

export const channelAlertSchema = z.object({
  id: z.string(),
  kind: z.string(),
  groupCodeId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});
export type ChannelAlertDto = z.infer<typeof channelAlertSchema>;
