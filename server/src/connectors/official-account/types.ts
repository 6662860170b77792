/**
 * Official Account wire types: request and answer bodies exactly as on the wire (snake_case), so the
 * module mapping them can be checked against protocols/official-account.md field by field.
 */

import type { Logger } from "../../platform/logger.ts";
import type { RateLimiter } from "../../platform/ratelimit/index.ts";
import type { LimitOptions, RetryOptions } from "../shared/api-client.ts";
import type { BreakerOptions } from "../shared/circuit-breaker.ts";

// ── client options ────────────────────────────────────────────────────────────────────────────

export interface OaClientOptions {
  /** Origin the `/cgi-bin/...` paths go under: `https://api.weixin.qq.com` or a sandbox origin. */
  apiBase: string;
  appId: string;
  secret: string;
  /**
   * `stable_token` (default): the token stays the same while valid whoever asks, so processes of a
   * cluster never invalidate each other's. `token`: the classic endpoint, where every call issues a
   * new token and the previous one dies 5 minutes later (protocols/official-account.md §5).
   */
  tokenEndpoint?: "stable_token" | "token";
  /** Shared limiter (Platform.limits) so a cluster keeps one budget; default: in-process memory. */
  limiter?: RateLimiter;
  limits?: LimitOptions;
  /** Per HTTP exchange, ms. Default 10,000. */
  timeoutMs?: number;
  log?: Logger;
  retry?: Partial<RetryOptions>;
  breaker?: Partial<BreakerOptions>;
}

/** Success answers often omit errcode; the client throws OaApiError when it is non-zero. */
export interface OaResponse {
  errcode?: number;
  errmsg?: string;
}

// ── users (§8) ─────────────────────────────────────────────────────────────────────────────────

export interface UserListResponse extends OaResponse {
  total: number;
  count: number;
  /** Absent when count is 0. */
  data?: { openid: string[] };
  /** The last openid of this page; "" (or absent) after the last one. */
  next_openid?: string;
}

export interface OaUserInfo {
  /** 0: not following (the other fields are then absent). */
  subscribe: 0 | 1;
  openid: string;
  language?: string;
  subscribe_time?: number;
  /** Only when the account is bound to an Open Platform account. */
  unionid?: string;
  remark?: string;
  groupid?: number;
  tagid_list?: number[];
  subscribe_scene?: string;
  qr_scene?: number;
  qr_scene_str?: string;
}

export interface UserInfoResponse extends OaResponse, OaUserInfo {}

export interface BatchGetUserRequest {
  user_list: Array<{ openid: string; lang?: "zh_CN" | "zh_TW" | "en" }>;
}
export interface BatchGetUserResponse extends OaResponse {
  user_info_list: OaUserInfo[];
}

export interface UpdateRemarkRequest {
  openid: string;
  remark: string;
}

// ── parametric QR codes (§6) ───────────────────────────────────────────────────────────────────

export type QrActionName = "QR_SCENE" | "QR_STR_SCENE" | "QR_LIMIT_SCENE" | "QR_LIMIT_STR_SCENE";

export interface CreateQrCodeRequest {
  /** Temporary codes only: seconds, default 30, at most 2,592,000 (30 days). */
  expire_seconds?: number;
  action_name: QrActionName;
  action_info: { scene: { scene_id?: number; scene_str?: string } };
}
export interface CreateQrCodeResponse extends OaResponse {
  ticket: string;
  /** Temporary codes only. */
  expire_seconds?: number;
  /** The URL the QR image encodes. */
  url: string;
}

// ── template messages (§7) ─────────────────────────────────────────────────────────────────────

export interface TemplateSendRequest {
  touser: string;
  template_id: string;
  url?: string;
  miniprogram?: { appid: string; pagepath?: string };
  /** Dedup key of retries. */
  client_msg_id?: string;
  data: Record<string, { value: string; color?: string }>;
}
export interface TemplateSendResponse extends OaResponse {
  msgid: number;
}

export interface TemplateListItem {
  template_id: string;
  title: string;
  primary_industry?: string;
  deputy_industry?: string;
  content: string;
  example?: string;
}
export interface TemplateListResponse extends OaResponse {
  template_list: TemplateListItem[];
}

// ── customer-service messages (48 h window) ────────────────────────────────────────────────────

export type CustomSendRequest =
  | { touser: string; msgtype: "text"; text: { content: string } }
  | { touser: string; msgtype: "image"; image: { media_id: string } }
  | {
      touser: string;
      msgtype: "news";
      news: { articles: Array<{ title: string; description?: string; url: string; picurl?: string }> };
    };

// ── tags (§9) ──────────────────────────────────────────────────────────────────────────────────

export interface OaTag {
  id: number;
  name: string;
  count?: number;
}
export interface CreateTagResponse extends OaResponse {
  tag: { id: number; name: string };
}
export interface GetTagsResponse extends OaResponse {
  tags: OaTag[];
}
export interface TagIdListResponse extends OaResponse {
  tagid_list: number[];
}
export interface TagMembersRequest {
  /** At most 50. */
  openid_list: string[];
  tagid: number;
}
export interface TagUsersResponse extends OaResponse {
  count: number;
  data?: { openid: string[] };
  next_openid?: string;
}

// ── menus (§9) ─────────────────────────────────────────────────────────────────────────────────

export type MenuButtonType =
  | "click"
  | "view"
  | "scancode_push"
  | "scancode_waitmsg"
  | "pic_sysphoto"
  | "pic_photo_or_album"
  | "pic_weixin"
  | "location_select"
  | "miniprogram"
  | "article_id"
  | "article_view_limited";

export interface MenuButton {
  type?: MenuButtonType;
  /** ≤16 bytes at the top level, ≤60 in a sub-menu. */
  name: string;
  /** click and scancode/pic/location types: ≤128 bytes. */
  key?: string;
  /** view (and miniprogram fallback): ≤1024 bytes. */
  url?: string;
  appid?: string;
  pagepath?: string;
  article_id?: string;
  sub_button?: MenuButton[];
}

export interface MenuMatchRule {
  tag_id?: string;
  /** 1 iOS, 2 Android, 3 other. */
  client_platform_type?: string;
}

export interface CreateMenuRequest {
  button: MenuButton[];
}
export interface AddConditionalMenuRequest {
  button: MenuButton[];
  matchrule: MenuMatchRule;
}
export interface AddConditionalMenuResponse extends OaResponse {
  menuid: string;
}
export interface MenuGetResponse extends OaResponse {
  menu?: { button: MenuButton[]; menuid?: string };
  conditionalmenu?: Array<{ button: MenuButton[]; matchrule: MenuMatchRule; menuid: string }>;
}
export interface TryMatchResponse extends OaResponse {
  button: MenuButton[];
}
