import { WecomError } from "../errcodes.ts";
import * as ids from "../ids.ts";
import type { Tag, TagGroup } from "../model.ts";
import { type ApiTable, type Json, optInt, optList, optString, relation, stringList } from "./params.ts";

function tagName(value: unknown): string {
  if (typeof value !== "string" || [...value].length < 1 || [...value].length > 30)
    throw new WecomError(40072);
  return value;
}

function groupJson(g: TagGroup, only?: Set<string>): Json {
  return { ...g, tag: only ? g.tag.filter((t) => only.has(t.id)) : g.tag };
}

export const tagApis: ApiTable = {
  "externalcontact/get_corp_tag_list": {
    method: "POST",
    handler: ({ corp, input }) => {
      const tagIds = stringList(input, "tag_id");
      const groupIds = stringList(input, "group_id");
      // group_id wins when both are given (WeCom: "若同时传递tag_id和group_id，忽略tag_id").
      if (groupIds.length > 0) {
        return {
          tag_group: corp.tagGroups.filter((g) => groupIds.includes(g.group_id)).map((g) => groupJson(g)),
        };
      }
      if (tagIds.length > 0) {
        const wanted = new Set(tagIds);
        return {
          tag_group: corp.tagGroups
            .filter((g) => g.tag.some((t) => wanted.has(t.id)))
            .map((g) => groupJson(g, wanted)),
        };
      }
      return { tag_group: corp.tagGroups.map((g) => groupJson(g)) };
    },
  },
  "externalcontact/add_corp_tag": {
    method: "POST",
    handler: ({ corp, input, now }) => {
      const groupId = optString(input, "group_id");
      const groupName = optString(input, "group_name", 30, 40072);
      const order = optInt(input, "order") ?? 0;
      optInt(input, "agentid");
      const items = optList(input, "tag");
      const tags = items.map((raw) => {
        if (!raw || typeof raw !== "object" || Array.isArray(raw))
          throw new WecomError(40058, "tag must be an object");
        const t = raw as Json;
        return { name: tagName(t.name), order: optInt(t, "order") ?? 0 };
      });
      let group: TagGroup | undefined;
      if (groupId) {
        group = corp.tagGroups.find((g) => g.group_id === groupId);
        if (!group) throw new WecomError(40068, groupId);
      } else {
        if (!groupName) throw new WecomError(40058, "group_id or group_name is required");
        // An existing group name receives the new tags (WeCom documents this).
        group = corp.tagGroups.find((g) => g.group_name === groupName);
      }
      if (tags.length === 0 && group) throw new WecomError(40058, "tag is required");
      const names = new Set(tags.map((t) => t.name));
      if (names.size !== tags.length || group?.tag.some((t) => names.has(t.name))) {
        throw new WecomError(40071);
      }
      if (corp.tagCount() + tags.length > corp.settings.tagCap) throw new WecomError(40126);
      if (!group) {
        group = {
          group_id: ids.tagId(),
          group_name: groupName!,
          create_time: now,
          order,
          deleted: false,
          tag: [],
        };
        corp.tagGroups.push(group);
      }
      const created: Tag[] = tags.map((t) => ({
        id: ids.tagId(),
        name: t.name,
        create_time: now,
        order: t.order,
        deleted: false,
      }));
      group.tag.push(...created);
      return { tag_group: { ...group, tag: created } };
    },
  },
  "externalcontact/edit_corp_tag": {
    method: "POST",
    handler: ({ corp, input }) => {
      const id = optString(input, "id");
      if (!id) throw new WecomError(40068);
      const name = input.name === undefined ? undefined : tagName(input.name);
      const order = optInt(input, "order");
      const group = corp.tagGroups.find((g) => g.group_id === id);
      if (group) {
        if (name !== undefined && corp.tagGroups.some((g) => g !== group && g.group_name === name))
          throw new WecomError(40071);
        if (name !== undefined) group.group_name = name;
        if (order !== undefined) group.order = order;
        return {};
      }
      const found = corp.tag(id);
      if (!found) throw new WecomError(40068, id);
      if (name !== undefined && found.group.tag.some((t) => t !== found.tag && t.name === name))
        throw new WecomError(40071);
      if (name !== undefined) found.tag.name = name;
      if (order !== undefined) found.tag.order = order;
      return {};
    },
  },
  "externalcontact/del_corp_tag": {
    method: "POST",
    handler: ({ corp, input }) => {
      const tagIds = stringList(input, "tag_id");
      const groupIds = stringList(input, "group_id");
      if (tagIds.length === 0 && groupIds.length === 0) throw new WecomError(40068);
      for (const g of groupIds)
        if (!corp.tagGroups.some((x) => x.group_id === g)) throw new WecomError(40068, g);
      for (const t of tagIds) if (!corp.tag(t)) throw new WecomError(40068, t);
      const removed = new Set(tagIds);
      for (const g of corp.tagGroups)
        if (groupIds.includes(g.group_id)) for (const t of g.tag) removed.add(t.id);
      for (const g of corp.tagGroups) g.tag = g.tag.filter((t) => !removed.has(t.id));
      // A group without tags is deleted with them.
      corp.tagGroups = corp.tagGroups.filter((g) => g.tag.length > 0 && !groupIds.includes(g.group_id));
      for (const list of corp.followsByExternal.values()) {
        for (const f of list)
          if (f.tags.some((t) => removed.has(t))) f.tags = f.tags.filter((t) => !removed.has(t));
      }
      return {};
    },
  },
  "externalcontact/mark_tag": {
    method: "POST",
    handler: (ctx) => {
      const f = relation(ctx);
      const add = stringList(ctx.input, "add_tag");
      const remove = stringList(ctx.input, "remove_tag");
      if (add.length === 0 && remove.length === 0)
        throw new WecomError(40058, "add_tag and remove_tag are both empty");
      if (add.some((t) => remove.includes(t)))
        throw new WecomError(40058, "a tag is in both add_tag and remove_tag");
      for (const t of [...add, ...remove]) if (!ctx.corp.tag(t)) throw new WecomError(40068, t);
      f.tags = [...new Set([...f.tags.filter((t) => !remove.includes(t)), ...add])];
      ctx.corp.recordTagMark({
        at: ctx.now,
        userid: f.userid,
        external_userid: f.external_userid,
        add,
        remove,
        via: "api",
      });
      return {};
    },
  },
};
