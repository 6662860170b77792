/** Read-only WeCom views for the console (group members, a customer's WeCom facts). */
import { z } from "zod";

export const wecomGroupMemberSchema = z.object({
  memberId: z.string(),
  /** 1 staff (member of the corp), 2 external contact. */
  type: z.number(),
  name: z.string().nullable(),
  groupNickname: z.string().nullable(),
  joinTime: z.string().nullable(),
  joinScene: z.number().nullable(),
  invitor: z.string().nullable(),
  customerId: z.string().nullable(),
});
export type WecomGroupMemberDto = z.infer<typeof wecomGroupMemberSchema>;

export const wecomGroupDetailSchema = z.object({
  chatId: z.string(),
  name: z.string(),
  ownerUserid: z.string().nullable(),
  ownerName: z.string().nullable(),
  notice: z.string().nullable(),
  memberCount: z.number(),
  dismissed: z.boolean(),
  members: z.array(wecomGroupMemberSchema),
});
export type WecomGroupDetailDto = z.infer<typeof wecomGroupDetailSchema>;

/** One staff ↔ contact relation (follow_user), ended ones included. */
export const wecomFollowSchema = z.object({
  userid: z.string(),
  staffName: z.string().nullable(),
  remark: z.string(),
  description: z.string(),
  state: z.string().nullable(),
  addWay: z.number().nullable(),
  addedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  endedBy: z.string().nullable(),
});
export type WecomFollowDto = z.infer<typeof wecomFollowSchema>;

/** An external contact as Siyu mirrors it, with the customer it became. */
export const wecomContactSchema = z.object({
  externalUserid: z.string(),
  customerId: z.string(),
  name: z.string(),
  unionid: z.string().nullable(),
  corpName: z.string().nullable(),
  follows: z.array(wecomFollowSchema),
});
export type WecomContactDto = z.infer<typeof wecomContactSchema>;
