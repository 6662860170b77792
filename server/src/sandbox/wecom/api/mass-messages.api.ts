import { cursorNumber, decodeCursor, encodeCursor } from "../cursor.ts";
import { WecomError } from "../errcodes.ts";
import * as ids from "../ids.ts";
import type { MassMessage, MassMessageSend } from "../model.ts";
import {
  type ApiContext,
  type ApiTable,
  attachments,
  boundedInt,
  type Json,
  optBool,
  optInt,
  optObject,
  optString,
  reqString,
  stringList,
  textContent,
} from "./params.ts";

/** Customers matching a tag_filter: AND across groups, OR within a group. */
function tagFiltered(ctx: ApiContext, filter: Json): Set<string> | undefined {
  const groups = filter.group_list;
  if (!Array.isArray(groups) || groups.length === 0) return undefined;
  const lists = groups.map((g) => stringList((g ?? {}) as Json, "tag_list"));
  const out = new Set<string>();
  for (const [ext, follows] of ctx.corp.followsByExternal) {
    const tags = new Set(follows.flatMap((f) => f.tags));
    if (lists.every((l) => l.some((t) => tags.has(t)))) out.add(ext);
  }
  return out;
}

function messageOf(ctx: ApiContext): MassMessage {
  const id = reqString(ctx.input, "msgid", 41046);
  const m = ctx.corp.massMessages.get(id);
  if (!m) throw new WecomError(41047, id);
  return m;
}

function paged<T>(
  api: string,
  ctx: ApiContext,
  all: T[],
  max: number,
  def: number,
): { page: T[]; next: string } {
  const limit = boundedInt(ctx.input, "limit", { min: 1, max, default: def });
  const from = cursorNumber(decodeCursor(api, optString(ctx.input, "cursor")), "i");
  return {
    page: all.slice(from, from + limit),
    next: from + limit < all.length ? encodeCursor(api, { i: from + limit }) : "",
  };
}

export const massMessageApis: ApiTable = {
  "externalcontact/add_msg_template": {
    method: "POST",
    handler: (ctx) => {
      const { corp, input, now } = ctx;
      const chatType = optString(input, "chat_type") ?? "single";
      if (chatType !== "single" && chatType !== "group") throw new WecomError(40058, "chat_type");
      const sender = optString(input, "sender");
      if (sender !== undefined && !corp.activeMember(sender)) throw new WecomError(40003, sender);
      optBool(input, "allow_select");
      const text = textContent(input, 4000);
      const atts = attachments(input, 9);
      if (!text && atts.length === 0) throw new WecomError(44004, "text or attachments required");
      const sends: MassMessageSend[] = [];
      const failList: string[] = [];
      if (chatType === "single") {
        const explicit = stringList(input, "external_userid", 10_000);
        const filter = optObject(input, "tag_filter");
        const tagged = filter ? tagFiltered(ctx, filter) : undefined;
        let targets: string[];
        if (explicit.length > 0) targets = explicit;
        else if (sender) targets = (corp.followsByUser.get(sender) ?? []).map((f) => f.external_userid);
        else targets = [...corp.followsByExternal.keys()];
        for (const ext of new Set(targets)) {
          if (tagged && !tagged.has(ext)) continue;
          const follows = corp.followsByExternal.get(ext) ?? [];
          const by = sender ? follows.find((f) => f.userid === sender) : follows[0];
          if (!by) failList.push(ext);
          else sends.push({ external_userid: ext, userid: by.userid, status: 0 });
        }
      } else {
        if (!sender) throw new WecomError(40058, "sender is required for chat_type group");
        const chats = stringList(input, "chat_id_list");
        const owned = [...corp.groups.values()].filter((g) => !g.dismissed && g.owner === sender);
        const list = chats.length > 0 ? chats : owned.map((g) => g.chat_id);
        for (const id of list) {
          const g = corp.groups.get(id);
          if (!g || g.dismissed || g.owner !== sender) failList.push(id);
          else sends.push({ chat_id: id, userid: sender, status: 0 });
        }
      }
      if (sends.length === 0) throw new WecomError(41048);
      const msgid = ids.msgId();
      const senders = [...new Set(sends.map((s) => s.userid))];
      corp.massMessages.set(msgid, {
        msgid,
        chat_type: chatType,
        creator: sender ?? "",
        create_type: 0,
        create_time: now,
        ...(text ? { text } : {}),
        attachments: atts,
        tasks: senders.map((userid) => ({ userid, status: 0 })),
        sends,
      });
      return { fail_list: failList, msgid };
    },
  },
  "externalcontact/get_groupmsg_list_v2": {
    method: "POST",
    handler: (ctx) => {
      const { input, corp } = ctx;
      const chatType = optString(input, "chat_type") ?? "single";
      if (chatType !== "single" && chatType !== "group") throw new WecomError(40058, "chat_type");
      const start = optInt(input, "start_time");
      const end = optInt(input, "end_time");
      if (start === undefined || end === undefined)
        throw new WecomError(40058, "start_time and end_time are required");
      if (start > end || end - start > 31 * 86400)
        throw new WecomError(40058, "the time range exceeds one month");
      const creator = optString(input, "creator");
      const filterType = optInt(input, "filter_type") ?? 2;
      if (![0, 1, 2].includes(filterType)) throw new WecomError(40058, "filter_type");
      const all = [...corp.massMessages.values()].filter(
        (m) =>
          m.chat_type === chatType &&
          m.create_time >= start &&
          m.create_time <= end &&
          (!creator || m.creator === creator) &&
          (filterType === 2 || m.create_type === filterType),
      );
      const { page, next } = paged("groupmsg", ctx, all, 100, 50);
      return {
        group_msg_list: page.map((m) => ({
          msgid: m.msgid,
          creator: m.creator,
          create_time: String(m.create_time),
          create_type: m.create_type,
          ...(m.text ? { text: m.text } : {}),
          attachments: m.attachments,
        })),
        next_cursor: next,
      };
    },
  },
  "externalcontact/get_groupmsg_task": {
    method: "POST",
    handler: (ctx) => {
      const m = messageOf(ctx);
      const { page, next } = paged("gmtask", ctx, m.tasks, 1000, 500);
      return { task_list: page, next_cursor: next };
    },
  },
  "externalcontact/get_groupmsg_send_result": {
    method: "POST",
    handler: (ctx) => {
      const m = messageOf(ctx);
      const userid = reqString(ctx.input, "userid", 41009);
      if (!ctx.corp.members.has(userid)) throw new WecomError(40003, userid);
      const { page, next } = paged(
        "gmsend",
        ctx,
        m.sends.filter((s) => s.userid === userid),
        1000,
        500,
      );
      return { send_list: page, next_cursor: next };
    },
  },
};
