import { randomAlnum } from "../wecom/ids.ts";
import type { OaAccount } from "./account.ts";
import { newTicket } from "./account.ts";
import { OaError } from "./errcodes.ts";
import type { OaMenuButton, OaQrCode } from "./model.ts";
import { type OaSandbox, permanentQrCap, qrDefaultExpireSeconds, qrMaxExpireSeconds } from "./sandbox.ts";

export type Json = Record<string, unknown>;

export interface ApiContext {
  sandbox: OaSandbox;
  account: OaAccount;
  input: Json;
  /** Origin the simulator is reached at (showqrcode URLs). */
  origin: string;
}

export interface ApiRoute {
  method: "GET" | "POST";
  /** POST reads (batchget, getidlist, trymatch…) change nothing: no persistence write for them. */
  reads?: boolean;
  handler: (ctx: ApiContext) => Json;
}

const str = (input: Json, key: string): string | undefined =>
  typeof input[key] === "string" ? (input[key] as string) : undefined;

function follower(account: OaAccount, openid: unknown) {
  if (typeof openid !== "string" || !openid) throw new OaError(40003);
  const f = account.followers.get(openid);
  if (!f) throw new OaError(40003);
  return f;
}

function userInfo(account: OaAccount, openid: string): Json {
  const f = follower(account, openid);
  if (f.subscribe !== 1)
    return { subscribe: 0, openid: f.openid, ...(f.unionid ? { unionid: f.unionid } : {}) };
  return {
    subscribe: 1,
    openid: f.openid,
    language: f.language,
    subscribe_time: f.subscribe_time,
    ...(f.unionid ? { unionid: f.unionid } : {}),
    remark: f.remark,
    groupid: 0,
    tagid_list: f.tagid_list,
    subscribe_scene: f.subscribe_scene,
    qr_scene: f.qr_scene,
    qr_scene_str: f.qr_scene_str,
  };
}

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");
const buttonTypes = new Set([
  "click",
  "view",
  "scancode_push",
  "scancode_waitmsg",
  "pic_sysphoto",
  "pic_photo_or_album",
  "pic_weixin",
  "location_select",
  "miniprogram",
  "article_id",
  "article_view_limited",
]);

/** menu/create's limits (§9): ≤3 buttons, ≤5 sub-buttons, names ≤16/60 bytes, key ≤128, url ≤1024. */
function checkMenu(buttons: unknown): OaMenuButton[] {
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) throw new OaError(40016);
  const check = (b: unknown, sub: boolean): OaMenuButton => {
    if (!b || typeof b !== "object") throw new OaError(47001);
    const button = b as OaMenuButton;
    if (typeof button.name !== "string" || !button.name || byteLength(button.name) > (sub ? 60 : 16))
      throw new OaError(sub ? 40025 : 40018);
    if (button.sub_button && button.sub_button.length > 0) {
      if (sub) throw new OaError(40023, "sub-buttons cannot nest");
      if (button.sub_button.length > 5) throw new OaError(40023);
      return { name: button.name, sub_button: button.sub_button.map((s) => check(s, true)) };
    }
    if (!button.type || !buttonTypes.has(button.type)) throw new OaError(40017);
    if (button.key !== undefined && byteLength(button.key) > 128) throw new OaError(40019);
    if (
      [
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
      ].includes(button.type) &&
      !button.key
    )
      throw new OaError(40019, "key is required");
    if (
      button.type === "view" &&
      (!button.url || byteLength(button.url) > 1024 || !/^https?:\/\//.test(button.url))
    )
      throw new OaError(sub ? 40054 : 40055);
    if (button.type === "miniprogram" && (!button.appid || !button.pagepath)) throw new OaError(47001);
    return { ...button, sub_button: [] };
  };
  return buttons.map((b) => check(b, false));
}

function qrCreate({ sandbox, account, input }: ApiContext): Json {
  const action = str(input, "action_name");
  const scene = ((input.action_info as Json | undefined)?.scene ?? {}) as Json;
  const now = sandbox.clock.now();
  const permanent = action === "QR_LIMIT_SCENE" || action === "QR_LIMIT_STR_SCENE";
  if (!action || !["QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"].includes(action))
    throw new OaError(47001, "invalid action_name");
  const qr: OaQrCode = {
    ticket: newTicket(),
    action_name: action as OaQrCode["action_name"],
    expires_at: null,
    url: `http://weixin.qq.com/q/${randomAlnum(22)}`,
    created_at: now,
  };
  if (action.endsWith("STR_SCENE")) {
    const s = scene.scene_str;
    if (typeof s !== "string" || s.length < 1 || s.length > 64)
      throw new OaError(40053, "scene_str is 1–64 characters");
    qr.scene_str = s;
  } else {
    const id = scene.scene_id;
    const max = permanent ? 100_000 : 4_294_967_295;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > max)
      throw new OaError(40053, permanent ? "scene_id is 1–100000" : "scene_id is a non-zero 32-bit integer");
    qr.scene_id = id;
  }
  if (permanent) {
    // A permanent code for a scene is the same code (WeChat answers the same ticket).
    const same = [...account.qrcodes.values()].find(
      (q) => q.expires_at === null && q.scene_id === qr.scene_id && q.scene_str === qr.scene_str,
    );
    if (same) return { ticket: same.ticket, url: same.url };
    const permanents = [...account.qrcodes.values()].filter((q) => q.expires_at === null).length;
    if (permanents >= permanentQrCap) throw new OaError(45029);
  } else {
    const raw = input.expire_seconds;
    const seconds =
      raw === undefined
        ? qrDefaultExpireSeconds
        : typeof raw === "number" && raw > 0
          ? Math.min(Math.floor(raw), qrMaxExpireSeconds)
          : -1;
    if (seconds < 0) throw new OaError(47001, "expire_seconds");
    qr.expires_at = now + seconds * 1000;
  }
  account.qrcodes.set(qr.ticket, qr);
  return {
    ticket: qr.ticket,
    ...(qr.expires_at !== null ? { expire_seconds: Math.round((qr.expires_at - now) / 1000) } : {}),
    url: qr.url,
  };
}

function templateSend({ sandbox, account, input }: ApiContext): Json {
  const touser = str(input, "touser");
  const templateId = str(input, "template_id");
  const data = input.data;
  const f = follower(account, touser);
  if (!templateId || !account.templates.some((t) => t.template_id === templateId)) throw new OaError(40037);
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new OaError(47003, "data");
  for (const v of Object.values(data as Json)) {
    if (!v || typeof v !== "object" || typeof (v as Json).value !== "string")
      throw new OaError(47003, "data values");
  }
  if (f.subscribe !== 1) throw new OaError(43004);
  const clientMsgId = str(input, "client_msg_id");
  if (clientMsgId) {
    const earlier = account.templateSends.find(
      (s) => s.client_msg_id === clientMsgId && s.touser === f.openid,
    );
    if (earlier) return { msgid: earlier.msgid };
  }
  const send = {
    msgid: account.nextMsgId++,
    touser: f.openid,
    template_id: templateId,
    ...(clientMsgId ? { client_msg_id: clientMsgId } : {}),
    ...(str(input, "url") ? { url: str(input, "url") } : {}),
    data: data as Record<string, { value: string }>,
    status: "pending" as const,
    created_at: sandbox.clock.seconds(),
  };
  account.recordTemplateSend(send);
  sandbox.finishTemplateSend(account, send);
  return { msgid: send.msgid };
}

function tagOf(account: OaAccount, id: unknown) {
  const tag = account.tags.find((t) => t.id === id);
  if (!tag) throw new OaError(45159);
  return tag;
}

function openidList(input: Json): string[] {
  const list = input.openid_list;
  if (!Array.isArray(list) || list.length === 0 || list.length > 50) throw new OaError(40032);
  return list.map(String);
}

function userPage(account: OaAccount, after: number, limit: number, keep: (openid: string) => boolean): Json {
  const openids: string[] = [];
  let i = after;
  for (; i < account.order.length && openids.length < limit; i++) {
    const o = account.order[i]!;
    if (keep(o)) openids.push(o);
  }
  return {
    count: openids.length,
    ...(openids.length ? { data: { openid: openids } } : {}),
    next_openid: openids.length ? openids[openids.length - 1] : "",
  };
}

/** Every Official Account API the simulator serves, by path after `/cgi-bin/`. */
export const oaApis: Record<string, ApiRoute> = {
  "user/get": {
    method: "GET",
    handler: ({ account, input }) => {
      const after = account.after(str(input, "next_openid"));
      if (after < 0) throw new OaError(40003, "next_openid");
      const page = userPage(account, after, 10_000, (o) => account.followers.get(o)?.subscribe === 1);
      return { total: account.subscribedCount(), ...page };
    },
  },
  "user/info": {
    method: "GET",
    handler: ({ account, input }) => userInfo(account, str(input, "openid") ?? ""),
  },
  "user/info/batchget": {
    method: "POST",
    reads: true,
    handler: ({ account, input }) => {
      const list = input.user_list;
      if (!Array.isArray(list) || list.length === 0 || list.length > 100) throw new OaError(40032);
      return { user_info_list: list.map((u) => userInfo(account, String((u as Json)?.openid ?? ""))) };
    },
  },
  "user/info/updateremark": {
    method: "POST",
    handler: ({ account, input }) => {
      const f = follower(account, input.openid);
      const remark = str(input, "remark") ?? "";
      if ([...remark].length > 30) throw new OaError(47001, "remark is at most 30 characters");
      f.remark = remark;
      return {};
    },
  },
  "qrcode/create": { method: "POST", handler: qrCreate },
  "message/template/send": { method: "POST", handler: templateSend },
  "template/get_all_private_template": {
    method: "GET",
    handler: ({ account }) => ({ template_list: account.templates.map((t) => ({ ...t, example: "" })) }),
  },
  "message/custom/send": {
    method: "POST",
    handler: ({ account, input }) => {
      const f = follower(account, input.touser);
      if (f.subscribe !== 1) throw new OaError(43004);
      if (!["text", "image", "news"].includes(String(input.msgtype))) throw new OaError(47001, "msgtype");
      return {};
    },
  },
  "tags/create": {
    method: "POST",
    handler: ({ account, input }) => {
      const name = str((input.tag ?? {}) as Json, "name");
      if (!name) throw new OaError(45157);
      if ([...name].length > 30) throw new OaError(45158);
      if (account.tags.some((t) => t.name === name)) throw new OaError(45157, "duplicate tag name");
      if (account.tags.length >= 100) throw new OaError(45056);
      const tag = { id: account.nextTagId++, name };
      account.tags.push(tag);
      return { tag };
    },
  },
  "tags/get": {
    method: "GET",
    handler: ({ account }) => ({
      tags: account.tags.map((t) => ({
        ...t,
        count: [...account.followers.values()].filter((f) => f.subscribe === 1 && f.tagid_list.includes(t.id))
          .length,
      })),
    }),
  },
  "tags/update": {
    method: "POST",
    handler: ({ account, input }) => {
      const t = (input.tag ?? {}) as Json;
      const tag = tagOf(account, t.id);
      if (tag.id <= 2) throw new OaError(45058);
      const name = str(t, "name");
      if (!name) throw new OaError(45157);
      if ([...name].length > 30) throw new OaError(45158);
      if (account.tags.some((x) => x.name === name && x.id !== tag.id))
        throw new OaError(45157, "duplicate tag name");
      tag.name = name;
      return {};
    },
  },
  "tags/delete": {
    method: "POST",
    handler: ({ account, input }) => {
      const tag = tagOf(account, ((input.tag ?? {}) as Json).id);
      if (tag.id <= 2) throw new OaError(45058);
      account.tags = account.tags.filter((t) => t !== tag);
      for (const f of account.followers.values()) f.tagid_list = f.tagid_list.filter((id) => id !== tag.id);
      return {};
    },
  },
  "tags/members/batchtagging": {
    method: "POST",
    handler: ({ account, input }) => {
      const tag = tagOf(account, input.tagid);
      const fs = openidList(input).map((o) => follower(account, o));
      for (const f of fs)
        if (!f.tagid_list.includes(tag.id) && f.tagid_list.length >= 20) throw new OaError(45059);
      for (const f of fs) if (!f.tagid_list.includes(tag.id)) f.tagid_list.push(tag.id);
      return {};
    },
  },
  "tags/members/batchuntagging": {
    method: "POST",
    handler: ({ account, input }) => {
      const tag = tagOf(account, input.tagid);
      for (const f of openidList(input).map((o) => follower(account, o)))
        f.tagid_list = f.tagid_list.filter((id) => id !== tag.id);
      return {};
    },
  },
  "tags/getidlist": {
    method: "POST",
    reads: true,
    handler: ({ account, input }) => ({ tagid_list: follower(account, input.openid).tagid_list }),
  },
  "user/tag/get": {
    method: "POST",
    reads: true,
    handler: ({ account, input }) => {
      const tag = tagOf(account, input.tagid);
      const after = account.after(str(input, "next_openid"));
      if (after < 0) throw new OaError(40003, "next_openid");
      return userPage(account, after, 10_000, (o) => {
        const f = account.followers.get(o);
        return f?.subscribe === 1 && f.tagid_list.includes(tag.id);
      });
    },
  },
  "menu/create": {
    method: "POST",
    handler: ({ account, input }) => {
      account.menu = checkMenu(input.button);
      return {};
    },
  },
  "menu/get": {
    method: "GET",
    handler: ({ account }) => {
      if (!account.menu) throw new OaError(46002);
      return {
        menu: { button: account.menu },
        ...(account.conditionalMenus.length ? { conditionalmenu: account.conditionalMenus } : {}),
      };
    },
  },
  "menu/delete": {
    method: "GET",
    handler: ({ account }) => {
      account.menu = null;
      account.conditionalMenus = [];
      return {};
    },
  },
  "menu/addconditional": {
    method: "POST",
    handler: ({ account, input }) => {
      if (!account.menu) throw new OaError(65303);
      const rule = (input.matchrule ?? {}) as Json;
      const matchrule = {
        ...(rule.tag_id !== undefined && rule.tag_id !== "" ? { tag_id: String(rule.tag_id) } : {}),
        ...(rule.client_platform_type !== undefined && rule.client_platform_type !== ""
          ? { client_platform_type: String(rule.client_platform_type) }
          : {}),
      };
      if (!Object.keys(matchrule).length) throw new OaError(65304);
      if (matchrule.tag_id !== undefined) tagOf(account, Number(matchrule.tag_id));
      const menuid = String(account.nextMenuId++);
      account.conditionalMenus.push({ menuid, button: checkMenu(input.button), matchrule });
      return { menuid };
    },
  },
  "menu/delconditional": {
    method: "POST",
    handler: ({ account, input }) => {
      const menuid = String(input.menuid ?? "");
      const before = account.conditionalMenus.length;
      account.conditionalMenus = account.conditionalMenus.filter((m) => m.menuid !== menuid);
      if (account.conditionalMenus.length === before) throw new OaError(65301);
      return {};
    },
  },
  "menu/trymatch": {
    method: "POST",
    reads: true,
    handler: ({ account, input }) => {
      if (!account.menu) throw new OaError(46002);
      const f = follower(account, input.user_id);
      // The newest matching personalized menu wins (WeChat matches the last one added first).
      const match = [...account.conditionalMenus]
        .reverse()
        .find((m) => !m.matchrule.tag_id || f.tagid_list.includes(Number(m.matchrule.tag_id)));
      return { button: match ? match.button : account.menu, ...(match ? { menuid: match.menuid } : {}) };
    },
  },
};
