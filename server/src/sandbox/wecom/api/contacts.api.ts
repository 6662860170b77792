import type { Corp } from "../corp.ts";
import { firstAfter } from "../corp.ts";
import { cursorNumber, decodeCursor, encodeCursor } from "../cursor.ts";
import { WecomError } from "../errcodes.ts";
import type { ExternalContact, Follow, Member } from "../model.ts";
import {
  type ApiContext,
  type ApiTable,
  boundedInt,
  externalId,
  type Json,
  memberId,
  optInt,
  optString,
  relation,
  stringList,
} from "./params.ts";

function memberJson(m: Member): Json {
  return {
    userid: m.userid,
    name: m.name,
    department: m.department,
    order: m.department.map(() => 0),
    position: m.position,
    mobile: m.mobile,
    gender: m.gender,
    email: m.email,
    is_leader_in_dept: m.department.map(() => 0),
    direct_leader: m.directLeader ?? [],
    avatar: `https://wework.qpic.cn/wwhead/${m.userid}/0`,
    thumb_avatar: `https://wework.qpic.cn/wwhead/${m.userid}/100`,
    telephone: "",
    alias: "",
    status: m.status,
    main_department: m.department[0] ?? 1,
  };
}

export function contactJson(c: ExternalContact): Json {
  return {
    external_userid: c.external_userid,
    name: c.name,
    type: c.type,
    avatar: c.avatar,
    gender: c.gender,
    ...(c.unionid ? { unionid: c.unionid } : {}),
    ...(c.position ? { position: c.position } : {}),
    ...(c.corp_name ? { corp_name: c.corp_name } : {}),
    ...(c.corp_full_name ? { corp_full_name: c.corp_full_name } : {}),
  };
}

/** `follow_user[]` entry of externalcontact/get: tags expanded with their group names. */
function followJson(corp: Corp, f: Follow): Json {
  const tags = f.tags.flatMap((id) => {
    const found = corp.tag(id);
    return found
      ? [{ group_name: found.group.group_name, tag_name: found.tag.name, tag_id: id, type: 1 }]
      : [];
  });
  return {
    userid: f.userid,
    remark: f.remark,
    description: f.description,
    createtime: f.createtime,
    tags,
    remark_corp_name: f.remark_corp_name,
    remark_mobiles: f.remark_mobiles,
    oper_userid: f.oper_userid,
    add_way: f.add_way,
    ...(f.state ? { state: f.state } : {}),
  };
}

/** `follow_info` of batch/get_by_user: `tag_id[]` instead of tag objects. */
function followInfoJson(f: Follow): Json {
  return {
    userid: f.userid,
    remark: f.remark,
    description: f.description,
    createtime: f.createtime,
    tag_id: f.tags,
    remark_corp_name: f.remark_corp_name,
    remark_mobiles: f.remark_mobiles,
    oper_userid: f.oper_userid,
    add_way: f.add_way,
    ...(f.state ? { state: f.state } : {}),
  };
}

function descendants(corp: Corp, id: number): number[] {
  const out = [id];
  for (let i = 0; i < out.length; i++) {
    for (const d of corp.departments) if (d.parentid === out[i] && !out.includes(d.id)) out.push(d.id);
  }
  return out;
}

/** A member who may hold customers; else 84074 (no external-contact permission). */
function contactMember(ctx: ApiContext, key = "userid"): string {
  const userid = memberId(ctx, key);
  const m = ctx.corp.members.get(userid)!;
  if (!m.customerContact) throw new WecomError(84074, userid);
  return userid;
}

const followPage = 500;

export const contactApis: ApiTable = {
  "department/list": {
    method: "GET",
    handler: ({ corp, input }) => {
      const id = optInt(input, "id");
      if (id !== undefined && !corp.departments.some((d) => d.id === id)) throw new WecomError(60003);
      const wanted = id === undefined ? undefined : new Set(descendants(corp, id));
      return {
        department: corp.departments
          .filter((d) => !wanted || wanted.has(d.id))
          .map((d) => ({ ...d, department_leader: [] })),
      };
    },
  },
  "user/list": {
    method: "GET",
    handler: ({ corp, input }) => {
      const dept = optInt(input, "department_id");
      if (dept === undefined) throw new WecomError(40058, "department_id is required");
      if (!corp.departments.some((d) => d.id === dept)) throw new WecomError(60003);
      const depts = new Set(optInt(input, "fetch_child") === 1 ? descendants(corp, dept) : [dept]);
      const userlist = [...corp.members.values()]
        .filter((m) => m.status === 1 && m.department.some((d) => depts.has(d)))
        .map(memberJson);
      return { userlist };
    },
  },
  "user/get": {
    method: "GET",
    handler: ({ corp, input }) => {
      const userid = optString(input, "userid");
      if (!userid) throw new WecomError(41009);
      const m = corp.members.get(userid);
      if (m?.status !== 1) throw new WecomError(60111, userid);
      return memberJson(m);
    },
  },
  "externalcontact/get_follow_user_list": {
    method: "GET",
    handler: ({ corp }) => ({
      follow_user: [...corp.members.values()]
        .filter((m) => m.status === 1 && m.customerContact)
        .map((m) => m.userid),
    }),
  },
  "externalcontact/list": {
    method: "GET",
    handler: (ctx) => {
      const userid = contactMember(ctx);
      return { external_userid: (ctx.corp.followsByUser.get(userid) ?? []).map((f) => f.external_userid) };
    },
  },
  "externalcontact/get": {
    method: "GET",
    handler: (ctx) => {
      const id = externalId(ctx);
      const follows = ctx.corp.followsByExternal.get(id) ?? [];
      if (follows.length === 0) throw new WecomError(84061);
      const from = cursorNumber(decodeCursor("get", optString(ctx.input, "cursor")), "i");
      const page = follows.slice(from, from + followPage);
      const next = from + followPage < follows.length ? encodeCursor("get", { i: from + followPage }) : "";
      return {
        external_contact: contactJson(ctx.corp.contacts.get(id)!),
        follow_user: page.map((f) => followJson(ctx.corp, f)),
        ...(next ? { next_cursor: next } : {}),
      };
    },
  },
  "externalcontact/batch/get_by_user": {
    method: "POST",
    handler: (ctx) => {
      const { corp, input } = ctx;
      let userids = stringList(input, "userid_list", 100, 40032);
      const single = optString(input, "userid");
      if (userids.length === 0 && single) userids = [single];
      if (userids.length === 0) throw new WecomError(41009);
      for (const u of userids) {
        const m = corp.members.get(u);
        if (!m) throw new WecomError(40003, u);
        if (!m.customerContact) throw new WecomError(84074, u);
      }
      const limit = boundedInt(input, "limit", { min: 1, max: 100, default: 50 });
      const position = decodeCursor("batch", optString(input, "cursor"));
      let u = cursorNumber(position, "u");
      let after = cursorNumber(position, "s");
      const out: Json[] = [];
      let next = "";
      while (u < userids.length) {
        const list = corp.followsByUser.get(userids[u]!) ?? [];
        let i = firstAfter(list, after);
        while (i < list.length && out.length < limit) {
          const f = list[i++]!;
          out.push({
            external_contact: contactJson(corp.contacts.get(f.external_userid)!),
            follow_info: followInfoJson(f),
          });
          after = f.seq;
        }
        if (out.length === limit) {
          if (i < list.length) next = encodeCursor("batch", { u, s: after });
          else if (u + 1 < userids.length) next = encodeCursor("batch", { u: u + 1, s: 0 });
          break;
        }
        u++;
        after = 0;
      }
      return { external_contact_list: out, next_cursor: next, fail_info: { unlicensed_userid_list: [] } };
    },
  },
  "externalcontact/remark": {
    method: "POST",
    handler: (ctx) => {
      const f = relation(ctx);
      const { input } = ctx;
      const remark = optString(input, "remark", 20);
      const description = optString(input, "description", 150);
      const company = optString(input, "remark_company", 20);
      const mobiles = stringList(input, "remark_mobiles", 5);
      optString(input, "remark_pic_mediaid");
      if (remark !== undefined) f.remark = remark;
      if (description !== undefined) f.description = description;
      if (company !== undefined) {
        if (ctx.corp.contacts.get(f.external_userid)?.type !== 1) {
          throw new WecomError(40058, "remark_company applies to WeChat customers only");
        }
        f.remark_corp_name = company;
      }
      if (input.remark_mobiles !== undefined) f.remark_mobiles = mobiles.filter((m) => m !== "");
      return {};
    },
  },
};
