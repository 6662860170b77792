import { cursorNumber, decodeCursor, encodeCursor } from "../cursor.ts";
import { WecomError } from "../errcodes.ts";
import type { GroupChat } from "../model.ts";
import {
  type ApiTable,
  boundedInt,
  type Json,
  optInt,
  optObject,
  optString,
  reqString,
  stringList,
} from "./params.ts";

function groupJson(g: GroupChat, needName: boolean): Json {
  return {
    chat_id: g.chat_id,
    name: g.name,
    owner: g.owner,
    create_time: g.create_time,
    notice: g.notice,
    member_list: g.member_list.map(({ name, ...m }) => (needName ? { ...m, name } : m)),
    admin_list: g.admin_list,
    member_version: g.member_version,
  };
}

function transferGroups(kind: "resigned" | "onjob"): ApiTable[string] {
  return {
    method: "POST",
    handler: ({ corp, input, now }) => {
      const chats = stringList(input, "chat_id_list", 100);
      if (chats.length === 0) throw new WecomError(40058, "chat_id_list is required");
      const newOwner = reqString(input, "new_owner", 41009);
      const owner = corp.activeMember(newOwner);
      if (!owner) throw new WecomError(40003, newOwner);
      if (!owner.customerContact) throw new WecomError(84074, newOwner);
      const failed: Json[] = [];
      for (const id of chats) {
        const g = corp.groups.get(id);
        const fail = (errcode: number, errmsg: string) => failed.push({ chat_id: id, errcode, errmsg });
        if (!g || g.dismissed) fail(90501, "not a customer group");
        else if (g.owner === newOwner) fail(90504, "the group owner did not change");
        else {
          const resigned = corp.members.get(g.owner)?.status === 5;
          if (kind === "resigned" && !resigned) fail(90500, "the group owner has not resigned");
          else if (kind === "onjob" && resigned) fail(90502, "the group owner has resigned");
          else {
            g.owner = newOwner;
            if (kind === "resigned") g.status = 3;
            if (!g.member_list.some((m) => m.userid === newOwner)) {
              g.member_list.push({
                userid: newOwner,
                type: 1,
                join_time: now,
                join_scene: 1,
                group_nickname: "",
                name: owner.name,
              });
            }
          }
        }
      }
      return { failed_chat_list: failed };
    },
  };
}

export const groupApis: ApiTable = {
  "externalcontact/groupchat/list": {
    method: "POST",
    handler: ({ corp, input }) => {
      const status = optInt(input, "status_filter") ?? 0;
      if (status < 0 || status > 3) throw new WecomError(40058, "status_filter");
      const owners = stringList(optObject(input, "owner_filter") ?? {}, "userid_list", 100);
      const limit = boundedInt(input, "limit", { min: 1, max: 1000 });
      const from = cursorNumber(decodeCursor("chats", optString(input, "cursor")), "i");
      const all = [...corp.groups.values()].filter(
        (g) =>
          !g.dismissed &&
          (status === 0 || g.status === status) &&
          (owners.length === 0 || owners.includes(g.owner)),
      );
      return {
        group_chat_list: all.slice(from, from + limit).map((g) => ({ chat_id: g.chat_id, status: g.status })),
        next_cursor: from + limit < all.length ? encodeCursor("chats", { i: from + limit }) : "",
      };
    },
  },
  "externalcontact/groupchat/get": {
    method: "POST",
    handler: ({ corp, input }) => {
      const id = reqString(input, "chat_id", 40050);
      const g = corp.groups.get(id);
      if (!g) throw new WecomError(40050, id);
      if (g.dismissed) throw new WecomError(49008);
      return { group_chat: groupJson(g, optInt(input, "need_name") === 1) };
    },
  },
  "externalcontact/groupchat/transfer": transferGroups("resigned"),
  "externalcontact/groupchat/onjob_transfer": transferGroups("onjob"),
};
