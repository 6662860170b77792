/**
 * Marketing guardrails (SPEC §6): the tenant's contact policy per channel, customers' opt-outs, and the
 * counts behind the dashboard card. Shared by the server routes and the console.
 */
import { z } from "zod";

export const contactChannels = ["wecom_private", "wecom_mass", "wecom_moment", "oa_template", "sms"] as const;
/** wecom_private 1:1 message, wecom_mass mass message (群发), wecom_moment, oa_template OA template message, sms (reserved). */
export type ContactChannel = (typeof contactChannels)[number];
/** An opt-out covers one channel, or every marketing channel (`all`). */
export const optOutScopes = ["all", ...contactChannels] as const;
export type OptOutScope = (typeof optOutScopes)[number];
export const contactPurposes = ["marketing", "transactional"] as const;
export type ContactPurpose = (typeof contactPurposes)[number];
export const optOutSources = ["keyword", "staff", "import", "api"] as const;
export type OptOutSource = (typeof optOutSources)[number];
export const denyReasons = ["opted_out", "cap_day", "cap_week", "cap_month", "cap_calendar_month"] as const;
export type DenyReason = (typeof denyReasons)[number];
export const deferReasons = ["quiet_hours"] as const;
export type DeferReason = (typeof deferReasons)[number];

const cap = z.number().int().min(0).max(1000).nullable();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM (00:00–23:59)");

export const channelPolicySchema = z.strictObject({
  channel: z.enum(contactChannels),
  /** Touches per customer per local day; null: no cap. */
  perDay: cap,
  /** … in the last 7 local days (today included). */
  perWeek: cap,
  /** … in the last 30 local days (today included). */
  perMonth: cap,
  /** … since the 1st of the local calendar month (WeCom's mass-message rule counts natural months). */
  perCalendarMonth: cap,
  /** Local wall-clock [start, end); end ≤ start spans midnight (21:00–09:00). null: no quiet hours. */
  quietHours: z
    .strictObject({ start: hhmm, end: hhmm })
    .refine((q) => q.start !== q.end, "start and end differ")
    .nullable(),
  /** Transactional touches (service progress, bills) skip caps, quiet hours and marketing opt-outs. */
  transactionalExempt: z.boolean(),
});
export type ChannelPolicy = z.infer<typeof channelPolicySchema>;

export const contactPolicySchema = z.object({
  /** The tenant's time zone, in which days and quiet hours are read. */
  timezone: z.string(),
  channels: z.array(channelPolicySchema),
});
export type ContactPolicyDto = z.infer<typeof contactPolicySchema>;

export const contactPolicyUpdateSchema = z.strictObject({
  channels: z
    .array(channelPolicySchema)
    .min(1)
    .max(contactChannels.length)
    .refine((cs) => new Set(cs.map((c) => c.channel)).size === cs.length, "each channel once"),
});
export type ContactPolicyUpdate = z.infer<typeof contactPolicyUpdateSchema>;

export const optOutSchema = z.object({
  channel: z.enum(optOutScopes),
  source: z.enum(optOutSources),
  note: z.string().nullable(),
  createdBy: z.string().nullable(),
  at: z.string(),
});
export type OptOutDto = z.infer<typeof optOutSchema>;

export const contactPreferencesSchema = z.object({
  customerId: z.string(),
  optOuts: z.array(optOutSchema),
  /** Counted touches per channel: today (local), last 7 and 30 local days. */
  touches: z.array(
    z.object({ channel: z.enum(contactChannels), day: z.number(), week: z.number(), month: z.number() }),
  ),
});
export type ContactPreferencesDto = z.infer<typeof contactPreferencesSchema>;

/** The full set of opt-outs wanted; missing ones are opted in again. */
export const contactPreferencesUpdateSchema = z.strictObject({
  optOuts: z.array(z.enum(optOutScopes)).max(optOutScopes.length),
  note: z.string().trim().max(500).optional(),
});
export type ContactPreferencesUpdate = z.infer<typeof contactPreferencesUpdateSchema>;

export const contactStatsSchema = z.object({
  timezone: z.string(),
  days: z.array(z.string()),
  /** Touches per channel per local day, aligned with `days`. */
  touches: z.array(z.object({ channel: z.enum(contactChannels), counts: z.array(z.number()) })),
  /** Refused by reserve() in the same days, per reason. */
  denied: z.array(z.object({ reason: z.string(), n: z.number() })),
  optedOut: z.number(),
});
export type ContactStatsDto = z.infer<typeof contactStatsSchema>;
