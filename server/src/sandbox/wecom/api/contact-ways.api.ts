import { cursorNumber, decodeCursor, encodeCursor } from "../cursor.ts";
import { WecomError } from "../errcodes.ts";
import * as ids from "../ids.ts";
import type { ContactWay } from "../model.ts";
import {
  type ApiContext,
  type ApiTable,
  attachments,
  boundedInt,
  intList,
  type Json,
  optBool,
  optInt,
  optObject,
  optString,
  reqString,
  stringList,
  textContent,
} from "./params.ts";

/** API-created 「联系我」 and 「加入群聊」 ways share this quota per corp. */
export const contactWayQuota = 500_000;
const maxTempSeconds = 14 * 86400;

function contactWayJson(w: ContactWay): Json {
  return {
    config_id: w.config_id,
    type: w.type,
    scene: w.scene,
    style: w.style,
    remark: w.remark,
    skip_verify: w.skip_verify,
    state: w.state,
    ...(w.qr_code ? { qr_code: w.qr_code } : {}),
    user: w.user,
    party: w.party,
    is_temp: w.is_temp,
    ...(w.is_temp ? { expires_in: w.expires_in, chat_expires_in: w.chat_expires_in } : {}),
    ...(w.unionid ? { unionid: w.unionid } : {}),
    ...(w.conclusions ? { conclusions: w.conclusions } : {}),
  };
}

/** Users and parties of a way: type 1 takes exactly one user; every user needs customer contact. */
function checkUsers(ctx: ApiContext, type: 1 | 2, users: string[], parties: number[]): void {
  if (type === 1 && (users.length !== 1 || parties.length > 0)) {
    throw new WecomError(40058, "a single-user contact way (type 1) takes exactly one user and no party");
  }
  if (users.length === 0 && parties.length === 0) throw new WecomError(40058, "user or party is required");
  for (const u of users) {
    const m = ctx.corp.members.get(u);
    if (m?.status !== 1) throw new WecomError(40003, u);
    if (!m.customerContact) throw new WecomError(610004, u);
  }
  for (const p of parties)
    if (!ctx.corp.departments.some((d) => d.id === p)) throw new WecomError(60003, String(p));
  const expanded = new Set(users);
  for (const m of ctx.corp.members.values()) {
    if (m.status === 1 && m.customerContact && m.department.some((d) => parties.includes(d)))
      expanded.add(m.userid);
  }
  if (expanded.size > 100) throw new WecomError(41041);
}

function conclusions(input: Json): Json | undefined {
  const c = optObject(input, "conclusions");
  if (!c) return undefined;
  textContent(c, 4000);
  const link = optObject(c, "link");
  if (link) {
    optString(link, "title", 128);
    optString(link, "desc", 512);
  }
  const mp = optObject(c, "miniprogram");
  if (mp) optString(mp, "title", 64);
  return c;
}

function seconds(input: Json, key: string): number | undefined {
  const v = optInt(input, key);
  if (v !== undefined && (v <= 0 || v > maxTempSeconds)) throw new WecomError(40058, `${key} out of range`);
  return v;
}

function wayOf(ctx: ApiContext): ContactWay {
  const id = reqString(ctx.input, "config_id", 41043);
  const way = ctx.corp.contactWays.get(id);
  if (!way) throw new WecomError(41044, id);
  return way;
}

export const contactWayApis: ApiTable = {
  "externalcontact/add_contact_way": {
    method: "POST",
    handler: (ctx) => {
      const { input, corp } = ctx;
      const type = optInt(input, "type");
      const scene = optInt(input, "scene");
      if (type === undefined) throw new WecomError(41037);
      if (scene === undefined) throw new WecomError(41038);
      if (type !== 1 && type !== 2) throw new WecomError(41039);
      if (scene !== 1 && scene !== 2) throw new WecomError(41040);
      const style = optInt(input, "style");
      if (style !== undefined && (style < 1 || style > 10)) throw new WecomError(41042);
      const state = optString(input, "state", 30) ?? "";
      const remark = optString(input, "remark", 30) ?? "";
      const users = stringList(input, "user");
      const parties = intList(input, "party");
      checkUsers(ctx, type, users, parties);
      const isTemp = optBool(input, "is_temp") ?? false;
      const expires = seconds(input, "expires_in");
      const chatExpires = seconds(input, "chat_expires_in");
      const unionid = optString(input, "unionid");
      const concl = conclusions(input);
      if (corp.contactWays.size >= contactWayQuota) throw new WecomError(41045);
      const id = ids.configId();
      const way: ContactWay = {
        config_id: id,
        type,
        scene,
        style: style ?? 1,
        remark,
        skip_verify: optBool(input, "skip_verify") ?? true,
        state,
        ...(scene === 2 ? { qr_code: `https://wework.qpic.cn/wwpic/sandbox/${id}/0` } : {}),
        user: users,
        party: parties,
        is_temp: isTemp,
        ...(isTemp ? { expires_in: expires ?? 7 * 86400, chat_expires_in: chatExpires ?? 86400 } : {}),
        ...(unionid ? { unionid } : {}),
        ...(concl ? { conclusions: concl } : {}),
        create_time: ctx.now,
      };
      corp.contactWays.set(id, way);
      return { config_id: id, ...(way.qr_code ? { qr_code: way.qr_code } : {}) };
    },
  },
  "externalcontact/get_contact_way": {
    method: "POST",
    handler: (ctx) => ({ contact_way: contactWayJson(wayOf(ctx)) }),
  },
  "externalcontact/list_contact_way": {
    method: "POST",
    handler: ({ corp, input, now }) => {
      // Without a range WeCom lists the last 90 days; the range may not exceed 90 days.
      const end = optInt(input, "end_time") ?? now;
      const start = optInt(input, "start_time") ?? end - 90 * 86400;
      if (start > end || end - start > 90 * 86400) throw new WecomError(40058, "time range exceeds 90 days");
      const limit = boundedInt(input, "limit", { min: 1, max: 1000, default: 100 });
      const from = cursorNumber(decodeCursor("ways", optString(input, "cursor")), "i");
      const all = [...corp.contactWays.values()].filter(
        (w) => w.create_time >= start && w.create_time <= end,
      );
      const page = all.slice(from, from + limit);
      return {
        contact_way: page.map((w) => ({ config_id: w.config_id })),
        next_cursor: from + limit < all.length ? encodeCursor("ways", { i: from + limit }) : "",
      };
    },
  },
  "externalcontact/update_contact_way": {
    method: "POST",
    handler: (ctx) => {
      const way = wayOf(ctx);
      const { input } = ctx;
      const state = optString(input, "state", 30);
      const remark = optString(input, "remark", 30);
      const style = optInt(input, "style");
      if (style !== undefined && (style < 1 || style > 10)) throw new WecomError(41042);
      const users = input.user === undefined ? way.user : stringList(input, "user");
      const parties = input.party === undefined ? way.party : intList(input, "party");
      if (input.user !== undefined || input.party !== undefined) checkUsers(ctx, way.type, users, parties);
      const expires = seconds(input, "expires_in");
      const chatExpires = seconds(input, "chat_expires_in");
      const skip = optBool(input, "skip_verify");
      const unionid = optString(input, "unionid");
      const concl = conclusions(input);
      if (state !== undefined) way.state = state;
      if (remark !== undefined) way.remark = remark;
      if (style !== undefined) way.style = style;
      if (skip !== undefined) way.skip_verify = skip;
      way.user = users;
      way.party = parties;
      if (way.is_temp && expires !== undefined) way.expires_in = expires;
      if (way.is_temp && chatExpires !== undefined) way.chat_expires_in = chatExpires;
      if (unionid !== undefined) way.unionid = unionid;
      if (concl) way.conclusions = concl;
      return {};
    },
  },
  "externalcontact/del_contact_way": {
    method: "POST",
    handler: (ctx) => {
      ctx.corp.contactWays.delete(wayOf(ctx).config_id);
      return {};
    },
  },
  "externalcontact/send_welcome_msg": {
    method: "POST",
    handler: ({ corp, input, sandbox }) => {
      const code = reqString(input, "welcome_code", 41049);
      const text = textContent(input, 4000);
      const atts = attachments(input, 9);
      if (!text && atts.length === 0) throw new WecomError(44004, "text or attachments required");
      const rec = corp.welcomeCodes.get(code);
      // One code: valid 20 s, consumed by its first successful use (protocols/wecom.md §3.3).
      if (!rec || rec.used || rec.expires_at <= sandbox.clock.now()) throw new WecomError(41050);
      rec.used = true;
      corp.recordWelcome({
        welcome_code: code,
        userid: rec.userid,
        external_userid: rec.external_userid,
        ...(text ? { text } : {}),
        attachments: atts,
        sent_at: sandbox.clock.seconds(),
      });
      return {};
    },
  },
};
