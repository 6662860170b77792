import { Faults } from "../shared/faults.ts";
import { randomAlnum, randomHex } from "../wecom/ids.ts";
import {
  type AccountData,
  type OaCallbackConfig,
  type OaConditionalMenu,
  type OaFollower,
  type OaMenuButton,
  type OaQrCode,
  type OaTemplate,
  type OaTemplateSend,
  systemTags,
} from "./model.ts";

const inspectionCap = 10_000;

/** 28 characters like WeChat's `o…` openids; unionids are 28 too (`o6_bm…` style in docs). */
export const newOpenid = () => `o${randomAlnum(27)}`;
export const newUnionid = () => `oU${randomAlnum(26)}`;
export const newAppId = () => `wx${randomHex(16)}`;
export const newOriginalId = () => `gh_${randomHex(12)}`;
export const newSecret = () => randomHex(32);
export const newTicket = () => `gQ${randomAlnum(94)}==`;

/** One Official Account in memory, with the indexes its APIs page over. */
export class OaAccount {
  appId: string;
  secret: string;
  originalId: string;
  name: string;
  callback: OaCallbackConfig | undefined;
  readonly followers = new Map<string, OaFollower>();
  /** Every openid in follow order: user/get pages over the subscribed ones after `next_openid`. */
  readonly order: string[] = [];
  readonly #position = new Map<string, number>();
  tags: Array<{ id: number; name: string }>;
  nextTagId: number;
  readonly qrcodes = new Map<string, OaQrCode>();
  menu: OaMenuButton[] | null;
  conditionalMenus: OaConditionalMenu[];
  nextMenuId: number;
  templates: OaTemplate[];
  templateSends: OaTemplateSend[];
  nextMsgId: number;
  templateFailureRate: number;
  quotas: Record<string, number>;
  quotaDay: number;
  quotaUsed: Record<string, number>;
  clearQuota: { month: string; count: number };
  /** Not persisted: faults are set by a test for its own run. */
  readonly faults = new Faults();
  /** Requests refused with 40164 (the caller's IP is "not whitelisted"). Not persisted. */
  ipBlocked = false;

  constructor(data: AccountData) {
    this.appId = data.appId;
    this.secret = data.secret;
    this.originalId = data.originalId;
    this.name = data.name;
    this.callback = data.callback;
    for (const f of data.followers) this.addFollower(f);
    this.tags = data.tags.length ? data.tags : systemTags.map((t) => ({ ...t }));
    this.nextTagId = data.nextTagId;
    for (const q of data.qrcodes) this.qrcodes.set(q.ticket, q);
    this.menu = data.menu;
    this.conditionalMenus = data.conditionalMenus;
    this.nextMenuId = data.nextMenuId;
    this.templates = data.templates;
    this.templateSends = data.templateSends;
    this.nextMsgId = data.nextMsgId;
    this.templateFailureRate = data.templateFailureRate ?? 0;
    this.quotas = data.quotas;
    this.quotaDay = data.quotaDay;
    this.quotaUsed = data.quotaUsed;
    this.clearQuota = data.clearQuota;
  }

  addFollower(f: OaFollower): void {
    if (!this.#position.has(f.openid)) {
      this.#position.set(f.openid, this.order.length);
      this.order.push(f.openid);
    }
    this.followers.set(f.openid, f);
  }

  /** Index after `openid` in follow order (0 for none); -1 for an openid the account never had. */
  after(openid: string | undefined): number {
    if (!openid) return 0;
    const at = this.#position.get(openid);
    return at === undefined ? -1 : at + 1;
  }

  subscribedCount(): number {
    let n = 0;
    for (const f of this.followers.values()) if (f.subscribe === 1) n++;
    return n;
  }

  recordTemplateSend(send: OaTemplateSend): void {
    this.templateSends.push(send);
    if (this.templateSends.length > inspectionCap)
      this.templateSends.splice(0, this.templateSends.length - inspectionCap);
  }

  toJSON(): AccountData {
    return {
      appId: this.appId,
      secret: this.secret,
      originalId: this.originalId,
      name: this.name,
      ...(this.callback ? { callback: this.callback } : {}),
      followers: this.order.map((o) => this.followers.get(o)!).filter(Boolean),
      tags: this.tags,
      nextTagId: this.nextTagId,
      qrcodes: [...this.qrcodes.values()],
      menu: this.menu,
      conditionalMenus: this.conditionalMenus,
      nextMenuId: this.nextMenuId,
      templates: this.templates,
      templateSends: this.templateSends,
      nextMsgId: this.nextMsgId,
      templateFailureRate: this.templateFailureRate,
      quotas: this.quotas,
      quotaDay: this.quotaDay,
      quotaUsed: this.quotaUsed,
      clearQuota: this.clearQuota,
    };
  }
}
