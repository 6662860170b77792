/** WeCom actions API DTOs (SPEC §2 "Actions"): remarks, mass messages, moments, succession. */
import { z } from "zod";

const id = z.string().trim().min(1).max(100);
const userid = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.@-]{1,64}$/, "a WeCom userid");
const externalUserid = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "a WeCom external_userid");
/** Counts characters as WeCom does (code points), not UTF-16 units. */
const chars = (max: number) => z.string().refine((s) => [...s].length <= max, `at most ${max} characters`);
/** UTF-8 length without TextEncoder (contracts compile with no DOM or Node types). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
const utf8Bytes = (max: number) => z.string().refine((s) => utf8Length(s) <= max, `at most ${max} bytes`);

// ── remarks ─────────────────────────────────────────────────────────────────────────────────────

export const wecomRemarkInputSchema = z.strictObject({
  /** The staff member whose relation with the customer gets the remark. */
  userid,
  remark: chars(20).optional(),
  description: chars(150).optional(),
  /** Replaces the remark mobiles; `[]` clears them. */
  mobiles: z
    .array(z.string().regex(/^\+?[0-9-]{3,20}$/, "a phone number"))
    .max(5)
    .optional(),
});
export type WecomRemarkInput = z.infer<typeof wecomRemarkInputSchema>;

export const wecomRemarkSchema = z.object({
  externalUserid: z.string(),
  userid: z.string(),
  customerId: z.string(),
  remark: z.string(),
  description: z.string(),
  mobiles: z.array(z.string()),
});
export type WecomRemarkDto = z.infer<typeof wecomRemarkSchema>;

// ── mass messages ───────────────────────────────────────────────────────────────────────────────

export const wecomMassAttachmentSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("link"),
    title: chars(128).pipe(z.string().min(1)),
    url: z.string().url().max(2048),
    desc: chars(512).optional(),
    picUrl: z.string().url().max(2048).optional(),
  }),
  z.strictObject({
    type: z.literal("image"),
    picUrl: z.string().url().max(2048).optional(),
    mediaId: z.string().max(256).optional(),
  }),
]);
export type WecomMassAttachment = z.infer<typeof wecomMassAttachmentSchema>;

export const wecomMassTargetSchema = z.union([
  z.strictObject({ customerIds: z.array(id).min(1).max(10_000) }),
  z.strictObject({ segmentId: id }),
  /** Customers whose WeCom relation carries every one of these corp tags (WeCom tag ids). */
  z.strictObject({ tagIds: z.array(id).min(1).max(20) }),
]);
export type WecomMassTarget = z.infer<typeof wecomMassTargetSchema>;

export const wecomMassMessageInputSchema = z
  .strictObject({
    name: z.string().trim().max(100).optional(),
    text: utf8Bytes(4000).optional(),
    attachments: z.array(wecomMassAttachmentSchema).max(9).default([]),
    target: wecomMassTargetSchema,
  })
  .refine((v) => (v.text?.trim().length ?? 0) > 0 || v.attachments.length > 0, "text or an attachment");
export type WecomMassMessageInput = z.input<typeof wecomMassMessageInputSchema>;

export const wecomMassRecipientStatuses = [
  "pending",
  "not_sent",
  "sent",
  "not_friend",
  "already_received",
  "failed",
  /** Refused by the contact policy (opt-out, frequency cap, WeCom's mass-message limit): never sent. */
  "blocked",
] as const;
export type WecomMassRecipientStatus = (typeof wecomMassRecipientStatuses)[number];

export const wecomMassMessageSchema = z.object({
  id: z.string(),
  name: z.string(),
  text: z.string(),
  attachments: z.array(wecomMassAttachmentSchema),
  target: z.record(z.string(), z.unknown()),
  status: z.enum(["queued", "sending", "sent", "completed", "failed"]),
  error: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
  total: z.number(),
  senders: z.array(
    z.object({
      sender: z.string(),
      msgid: z.string().nullable(),
      status: z.string(),
      error: z.string().nullable(),
      recipients: z.number(),
    }),
  ),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Created in the tenant's quiet hours: sent when they end. */
  notBefore: z.string().nullable(),
});
export type WecomMassMessageDto = z.infer<typeof wecomMassMessageSchema>;

export const wecomMassRecipientSchema = z.object({
  externalUserid: z.string(),
  customerId: z.string(),
  sender: z.string(),
  status: z.enum(wecomMassRecipientStatuses),
  sendTime: z.string().nullable(),
  /** Why the contact policy blocked this customer (opted_out, cap_day, cap_calendar_month, …). */
  policyReason: z.string().nullable(),
});
export type WecomMassRecipientDto = z.infer<typeof wecomMassRecipientSchema>;

// ── moments ─────────────────────────────────────────────────────────────────────────────────────

export const wecomMomentInputSchema = z
  .strictObject({
    text: utf8Bytes(4000).optional(),
    /** Up to 9 images, or 1 video, or 1 link (media ids from WeCom's attachment upload). */
    attachments: z
      .array(
        z.discriminatedUnion("type", [
          z.strictObject({ type: z.literal("image"), mediaId: z.string().min(1).max(256) }),
          z.strictObject({ type: z.literal("video"), mediaId: z.string().min(1).max(256) }),
          z.strictObject({
            type: z.literal("link"),
            url: z.string().url().max(2048),
            title: chars(128).optional(),
            mediaId: z.string().min(1).max(256),
          }),
        ]),
      )
      .max(9)
      .default([]),
    senders: z.array(userid).max(1000).default([]),
    departments: z.array(z.number().int().nonnegative()).max(100).default([]),
    tagIds: z.array(id).max(100).default([]),
  })
  .refine((v) => (v.text?.trim().length ?? 0) > 0 || v.attachments.length > 0, "text or an attachment")
  .refine(
    (v) =>
      v.attachments.every((a) => a.type === "image") ||
      (v.attachments.length === 1 && v.attachments[0]?.type !== "image"),
    "up to 9 images, or 1 video, or 1 link",
  );
export type WecomMomentInput = z.input<typeof wecomMomentInputSchema>;

export const wecomMomentSchema = z.object({
  id: z.string(),
  text: z.string(),
  attachments: z.array(z.record(z.string(), z.unknown())),
  visibleRange: z.record(z.string(), z.unknown()),
  jobid: z.string().nullable(),
  status: z.enum(["queued", "running", "completed", "failed"]),
  momentId: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type WecomMomentDto = z.infer<typeof wecomMomentSchema>;

// ── succession (继承) ────────────────────────────────────────────────────────────────────────────

export const wecomTransferInputSchema = z
  .strictObject({
    kind: z.enum(["onjob", "resigned"]),
    handoverUserid: userid,
    takeoverUserid: userid,
    /** Siyu customers, or WeCom external_userids (e.g. from the unassigned list); any number, sent 100 a call. */
    customerIds: z.array(id).max(5_000).optional(),
    externalUserids: z.array(externalUserid).max(5_000).optional(),
    /** On-job only: what the customer is told (≤ 200 characters). */
    message: chars(200).optional(),
  })
  .refine((v) => (v.customerIds?.length ?? 0) + (v.externalUserids?.length ?? 0) > 0, "customers to transfer")
  .refine((v) => v.handoverUserid !== v.takeoverUserid, "handover and takeover must differ");
export type WecomTransferInput = z.input<typeof wecomTransferInputSchema>;

export const wecomGroupTransferInputSchema = z.strictObject({
  kind: z.enum(["onjob", "resigned"]),
  chatIds: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
    .min(1)
    .max(1000),
  newOwner: userid,
});
export type WecomGroupTransferInput = z.input<typeof wecomGroupTransferInputSchema>;

export const wecomTransferItemStatuses = [
  "pending",
  "waiting",
  "done",
  "refused",
  "over_quota",
  "no_record",
  "failed",
] as const;

export const wecomTransferItemSchema = z.object({
  subjectId: z.string(),
  customerId: z.string().nullable(),
  status: z.enum(wecomTransferItemStatuses),
  /** WeCom's status: 1 done, 2 waiting, 3 refused, 4 over quota, 5 no record. */
  wecomStatus: z.number().nullable(),
  errcode: z.number().nullable(),
  reason: z.string().nullable(),
  takeoverTime: z.string().nullable(),
});
export type WecomTransferItemDto = z.infer<typeof wecomTransferItemSchema>;

export const wecomTransferSchema = z.object({
  id: z.string(),
  kind: z.enum(["onjob", "resigned", "group_onjob", "group_resigned"]),
  handoverUserid: z.string().nullable(),
  takeoverUserid: z.string(),
  status: z.enum(["queued", "running", "completed", "failed"]),
  error: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
  total: z.number(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type WecomTransferDto = z.infer<typeof wecomTransferSchema>;

export const wecomTransferDetailSchema = wecomTransferSchema.extend({
  items: z.array(wecomTransferItemSchema),
});
export type WecomTransferDetailDto = z.infer<typeof wecomTransferDetailSchema>;

export const wecomUnassignedSchema = z.object({
  handoverUserid: z.string(),
  externalUserid: z.string(),
  customerId: z.string().nullable(),
  name: z.string().nullable(),
  dimissionTime: z.string().nullable(),
});
export type WecomUnassignedDto = z.infer<typeof wecomUnassignedSchema>;

export const wecomCorpTagSchema = z.object({
  id: z.string(),
  name: z.string(),
  groupName: z.string().nullable(),
  siyuTagId: z.string().nullable(),
});
export type WecomCorpTagDto = z.infer<typeof wecomCorpTagSchema>;

export const wecomTagMarkSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  tagId: z.string(),
  wecomTagId: z.string(),
  op: z.enum(["add", "remove"]),
  status: z.enum(["pending", "done", "failed"]),
  relations: z.array(z.record(z.string(), z.unknown())),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type WecomTagMarkDto = z.infer<typeof wecomTagMarkSchema>;
