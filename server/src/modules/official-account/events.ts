import { createHash } from "node:crypto";

/**
 * The Official Account engine's domain events, in one place. Each is also the type of the fact on
 * the customer's timeline (appendTimeline publishes the fact as the event, aggregate `customer`,
 * payload `{customerId, openid, …data}`), so subscribers and the timeline read the same names.
 */
export const oaEvents = {
  /** A follow (new or again). Payload: openid, scene (the parametric QR's scene, or null), subscribeScene. */
  subscribed: "oa.subscribed",
  /** An unfollow. The customer stays; the follower is marked unsubscribed. */
  unsubscribed: "oa.unsubscribed",
  /** An existing follower scanned a parametric QR. Payload: openid, scene. */
  scanned: "oa.scanned",
  /** A message from a follower. Payload: openid, msgType, msgId, content (text), and the type's fields. */
  messageReceived: "oa.message_received",
  /** A menu CLICK. Payload: openid, key. */
  menuClicked: "oa.menu_clicked",
  /** A menu VIEW (link). Payload: openid, url, menuId. */
  menuViewed: "oa.menu_viewed",
  /** LOCATION report. Payload: openid, latitude, longitude, precision. */
  locationReported: "oa.location_reported",
  /** TEMPLATESENDJOBFINISH. Payload: openid, msgId, status (success | failed_user_block | failed_system), sendId. */
  templateSendFinished: "oa.template_send_finished",
} as const;
export type OaEventName = (typeof oaEvents)[keyof typeof oaEvents];

/** The inbox platform name of Official Account callbacks. */
export const oaInboxPlatform = "official-account";

/**
 * The payload field in which the callback route notes the appid it verified the message for; not a
 * WeChat field (WeChat names the account only by its original id, gh_…).
 */
export const oaReceivedForAppId = "SiyuReceivedForAppId";

/** A stored callback, flattened: every field a string. */
export type OaEventPayload = Record<string, string>;

/** Inbound kinds the engine acts on (`event.<Event>` or `message.<MsgType>`); others are stored, ignored. */
export const handledOaKinds = [
  "event.subscribe",
  "event.unsubscribe",
  "event.SCAN",
  "event.CLICK",
  "event.VIEW",
  "event.LOCATION",
  "event.TEMPLATESENDJOBFINISH",
  "message.text",
  "message.image",
  "message.voice",
  "message.video",
  "message.shortvideo",
  "message.location",
  "message.link",
] as const;
export type HandledOaKind = (typeof handledOaKinds)[number];

export function isHandledOaKind(kind: string): kind is HandledOaKind {
  return (handledOaKinds as readonly string[]).includes(kind);
}

export const field = (p: OaEventPayload, name: string): string =>
  typeof p[name] === "string" ? p[name] : "";

/**
 * The callback's identity (protocols/official-account.md §3): `MsgId` for messages; for events
 * FromUserName + CreateTime + Event (+ EventKey, MsgID: two clicks in one second, two template
 * results). WeChat's retries of one delivery have the same identity and drop out in the inbox.
 */
export function oaEventIdentity(p: OaEventPayload): { key: string; kind: string } {
  const msgType = field(p, "MsgType") || "unknown";
  const msgId = field(p, "MsgId");
  if (msgType !== "event") {
    const key = msgId
      ? `msg:${msgId}`
      : `msg:${hash([field(p, "FromUserName"), field(p, "CreateTime"), msgType, field(p, "Content")])}`;
    return { key, kind: `message.${msgType}`.slice(0, 100) };
  }
  const event = field(p, "Event") || "unknown";
  const key = `evt:${hash([
    field(p, "ToUserName"),
    field(p, "FromUserName"),
    field(p, "CreateTime"),
    event,
    field(p, "EventKey"),
    field(p, "MsgID"),
  ])}`;
  return { key, kind: `event.${event}`.slice(0, 100) };
}

function hash(parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0001")).digest("hex").slice(0, 40);
}

/** `qrscene_123` → `123` (subscribe via a parametric QR); SCAN's EventKey is the bare scene. */
export function sceneOf(kind: string, eventKey: string): string | null {
  if (!eventKey) return null;
  if (kind === "event.subscribe")
    return eventKey.startsWith("qrscene_") ? eventKey.slice("qrscene_".length) : null;
  return eventKey;
}
