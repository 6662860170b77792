import type { OaMessageMode } from "../../connectors/official-account/index.ts";

/** A follower (粉丝) as the simulator holds it: user/info's fields plus what the sim needs. */
export interface OaFollower {
  openid: string;
  unionid?: string;
  subscribe: 0 | 1;
  subscribe_time: number;
  subscribe_scene: string;
  qr_scene: number;
  qr_scene_str: string;
  tagid_list: number[];
  remark: string;
  language: string;
  /** Template messages to this follower end `failed:user block` (the user blocked the account). */
  blocksTemplates?: boolean;
}

export interface OaCallbackConfig {
  url: string;
  token: string;
  /** Needed for compatible and safe mode. */
  encodingAesKey?: string;
  mode: OaMessageMode;
}

export interface OaQrCode {
  ticket: string;
  action_name: "QR_SCENE" | "QR_STR_SCENE" | "QR_LIMIT_SCENE" | "QR_LIMIT_STR_SCENE";
  scene_id?: number;
  scene_str?: string;
  /** Simulator-clock ms; null for permanent codes. */
  expires_at: number | null;
  url: string;
  created_at: number;
}

export interface OaMenuButton {
  type?: string;
  name: string;
  key?: string;
  url?: string;
  appid?: string;
  pagepath?: string;
  article_id?: string;
  sub_button?: OaMenuButton[];
}

export interface OaConditionalMenu {
  menuid: string;
  button: OaMenuButton[];
  matchrule: { tag_id?: string; client_platform_type?: string };
}

export interface OaTemplate {
  template_id: string;
  title: string;
  content: string;
}

export type TemplateStatus = "pending" | "success" | "failed:user block" | "failed: system failed";

export interface OaTemplateSend {
  msgid: number;
  touser: string;
  template_id: string;
  client_msg_id?: string;
  url?: string;
  data: Record<string, { value: string }>;
  status: TemplateStatus;
  created_at: number;
}

export interface AccountData {
  appId: string;
  secret: string;
  /** The original id `gh_…`: ToUserName of every message. */
  originalId: string;
  name: string;
  callback?: OaCallbackConfig;
  followers: OaFollower[];
  tags: Array<{ id: number; name: string }>;
  nextTagId: number;
  qrcodes: OaQrCode[];
  menu: OaMenuButton[] | null;
  conditionalMenus: OaConditionalMenu[];
  nextMenuId: number;
  templates: OaTemplate[];
  templateSends: OaTemplateSend[];
  nextMsgId: number;
  /** Template sends failing with `failed: system failed` (share 0..1). */
  templateFailureRate?: number;
  /** Daily quota per API (§10 defaults unless set), and what was used on `quotaDay`. */
  quotas: Record<string, number>;
  quotaDay: number;
  quotaUsed: Record<string, number>;
  clearQuota: { month: string; count: number };
}

/** §10's daily quotas (new accounts). APIs not listed: 100,000. */
export const defaultDailyQuotas: Record<string, number> = {
  token: 2_000,
  stable_token: 2_000,
  "menu/create": 1_000,
  "menu/delete": 1_000,
  "menu/get": 10_000,
  "message/custom/send": 500_000,
  "qrcode/create": 100_000,
  "user/get": 500,
  "user/info": 5_000_000,
  "user/info/batchget": 5_000_000,
  "message/template/send": 100_000,
};
export const defaultApiQuota = 100_000;

/** System tags every account has (ids 0–2, unmodifiable [?]). */
export const systemTags = [
  { id: 0, name: "黑名单" },
  { id: 1, name: "屏蔽组" },
  { id: 2, name: "星标组" },
];

export const defaultTemplates: OaTemplate[] = [
  {
    template_id: "tpl_service_progress",
    title: "服务进度提醒",
    content: "服务项目：{{thing1.DATA}}\n当前进度：{{phrase2.DATA}}\n更新时间：{{time3.DATA}}",
  },
  {
    template_id: "tpl_bill",
    title: "账单提醒",
    content: "账单金额：{{amount1.DATA}}\n账单周期：{{thing2.DATA}}",
  },
];
