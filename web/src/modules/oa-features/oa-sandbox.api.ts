import type { OaMenuButtonInput } from "@siyu/contracts";
import { http } from "../../api/client.ts";

/** Where the server mounts the Official Account simulator (server/src/sandbox/sandbox.module.ts). */
const sim = "/sandbox/official-account/_sim";
const acct = (appId: string) => `${sim}/accounts/${encodeURIComponent(appId)}`;

export interface SimOaFollower {
  openid: string;
  unionid?: string;
  subscribe: 0 | 1;
  subscribe_time: number;
  qr_scene_str?: string;
  tagid_list: number[];
}

export interface SimOaAccount {
  appId: string;
  name: string;
  originalId: string;
  menu: OaMenuButtonInput[] | null;
  conditionalMenus: Array<{ button: OaMenuButtonInput[]; matchrule: { tag_id?: string }; menuid: string }>;
}

export interface SimOaDelivery {
  id: number;
  state: "held" | "pending" | "delivered" | "failed";
  fields: Record<string, string | number>;
  reply?: Record<string, string>;
  replyError?: string;
}

export interface SimTemplateSend {
  msgid: number;
  touser: string;
  template_id: string;
  url?: string;
  data: Record<string, { value: string }>;
  status?: string;
  created_at?: number;
}

export const oaSimApi = {
  account: (appId: string) => http.get<SimOaAccount>(acct(appId)),
  followers: (appId: string) =>
    http.get<{ total: number; items: SimOaFollower[] }>(`${acct(appId)}/followers`, { limit: 1000 }),
  follow: (appId: string, body: { scene?: string; unionid?: string; openid?: string }) =>
    http.post<{ openid: string; event: string; delivery: SimOaDelivery }>(
      `${acct(appId)}/follow?wait=1`,
      body,
    ),
  unfollow: (appId: string, openid: string) =>
    http.post<{ delivery: SimOaDelivery }>(`${acct(appId)}/unfollow?wait=1`, { openid }),
  message: (appId: string, openid: string, content: string) =>
    http.post<{ delivery: SimOaDelivery }>(`${acct(appId)}/message?wait=1`, { openid, content }),
  click: (appId: string, openid: string, key: string) =>
    http.post<{ delivery: SimOaDelivery }>(`${acct(appId)}/click?wait=1`, { openid, key }),
  view: (appId: string, openid: string, url: string) =>
    http.post<{ delivery: SimOaDelivery }>(`${acct(appId)}/view?wait=1`, { openid, url }),
  templateSends: (appId: string) => http.get<{ items: SimTemplateSend[] }>(`${acct(appId)}/template-sends`),
};

/** The menu WeChat shows a follower: the newest conditional menu whose tag they hold, else the default. */
export function menuOf(
  account: SimOaAccount | undefined,
  follower: SimOaFollower | undefined,
): OaMenuButtonInput[] {
  if (!account) return [];
  const match = [...(account.conditionalMenus ?? [])]
    .reverse()
    .find((m) => !m.matchrule.tag_id || (follower?.tagid_list ?? []).includes(Number(m.matchrule.tag_id)));
  return match?.button ?? account.menu ?? [];
}
