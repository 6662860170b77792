import { createHash } from "node:crypto";

/** A decrypted WeCom callback, flattened: every field a string, `<Item>` lists as string arrays. */
export type WecomEventPayload = Record<string, string | string[]>;

/** Event kinds the engine acts on (`<Event>.<ChangeType>`); anything else is stored and ignored. */
export const handledKinds = [
  "change_external_contact.add_external_contact",
  "change_external_contact.add_half_external_contact",
  "change_external_contact.edit_external_contact",
  "change_external_contact.del_external_contact",
  "change_external_contact.del_follow_user",
  "change_external_contact.transfer_fail",
  "change_external_chat.create",
  "change_external_chat.update",
  "change_external_chat.dismiss",
  "change_external_tag.create",
  "change_external_tag.update",
  "change_external_tag.delete",
  "change_external_tag.shuffle",
] as const;
export type HandledKind = (typeof handledKinds)[number];

export function isHandledKind(kind: string): kind is HandledKind {
  return (handledKinds as readonly string[]).includes(kind);
}

export function str(payload: WecomEventPayload, field: string): string {
  const v = payload[field];
  return typeof v === "string" ? v : "";
}

/**
 * The event's identity (protocols/wecom.md §1.4): `MsgId` for messages; for events the tuple
 * (ToUserName, Event, ChangeType, CreateTime, UserID/ExternalUserID/ChatId/Id). Hashed so the inbox
 * key stays short whatever WeCom puts in the fields.
 */
export function wecomEventIdentity(payload: WecomEventPayload): { key: string; kind: string } {
  const msgType = str(payload, "MsgType");
  const event = str(payload, "Event");
  const msgId = str(payload, "MsgId");
  if (msgType !== "event" && msgId) {
    return { key: `msg:${str(payload, "ToUserName")}:${msgId}`, kind: `message.${msgType || "unknown"}` };
  }
  const changeType = str(payload, "ChangeType");
  const parts = [
    str(payload, "ToUserName"),
    event,
    changeType,
    str(payload, "CreateTime"),
    str(payload, "UserID"),
    str(payload, "ExternalUserID"),
    str(payload, "ChatId"),
    str(payload, "Id"),
    // Two tag/chat updates in one second differ by these.
    str(payload, "UpdateDetail"),
    str(payload, "CurMemVer"),
    str(payload, "TagType"),
  ];
  const key = `evt:${createHash("sha256").update(parts.join("\u0001")).digest("hex").slice(0, 40)}`;
  const kind = `${event || msgType || "unknown"}${changeType ? `.${changeType}` : ""}`;
  return { key, kind: kind.slice(0, 100) };
}
