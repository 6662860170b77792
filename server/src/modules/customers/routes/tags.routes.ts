import { tagSchema } from "@siyu/contracts";
import { z } from "zod";
import { AppError, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { renameTagInExpressions } from "../rename-tag.ts";
import { cleanTagName, ensureTags, getTag, listTags, tagColors } from "../tags.service.ts";

const color = z.enum(tagColors as [string, ...string[]]);
const idParams = z.object({ id: z.string().min(1).max(100) });
const groupSchema = z.object({ id: z.string(), name: z.string() });

export function tagsRoutes(api: Api, platform: Platform) {
  api.get(
    "/tags",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["tags"],
        response: { 200: z.object({ items: z.array(tagSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listTags(s)), nextCursor: null }),
  );

  api.post(
    "/tags",
    {
      config: { permission: "customers.write" },
      schema: {
        tags: ["tags"],
        body: z.strictObject({
          name: z.string().max(50),
          color: color.optional(),
          groupId: z.string().max(100).nullable().optional(),
        }),
        response: { 201: tagSchema },
      },
    },
    async (req, reply) => {
      const tag = await req.inTenant(async (s) => {
        const name = cleanTagName(req.body.name);
        if (
          (await s.query("select 1 from tags where lower(name) = lower($1) and deleted_at is null", [name]))
            .length
        ) {
          throw new AppError("conflict", "a tag with this name exists");
        }
        if (req.body.groupId) await assertGroup(s, req.body.groupId);
        const [t] = await ensureTags(s, [name]);
        await s.query("update tags set color = coalesce($2, color), group_id = $3 where id = $1", [
          t!.id,
          req.body.color ?? null,
          req.body.groupId ?? null,
        ]);
        await platform.audit.record(s, req.actor(), {
          action: "tag.created",
          targetType: "tag",
          targetId: t!.id,
          data: { name },
        });
        return (await listTags(s)).find((x) => x.id === t!.id)!;
      });
      return reply.status(201).send(tag);
    },
  );

  api.patch(
    "/tags/:id",
    {
      config: { permission: "customers.write", resource: "tag" },
      schema: {
        tags: ["tags"],
        params: idParams,
        body: z.strictObject({
          name: z.string().max(50).optional(),
          color: color.optional(),
          groupId: z.string().max(100).nullable().optional(),
        }),
        response: { 200: tagSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const before = await getTag(s, req.params.id);
        const name = req.body.name === undefined ? before.name : cleanTagName(req.body.name);
        if (name.toLowerCase() !== before.name.toLowerCase()) {
          const taken = await s.query(
            "select 1 from tags where lower(name) = lower($1) and deleted_at is null and id <> $2",
            [name, before.id],
          );
          if (taken.length) throw new AppError("conflict", "a tag with this name exists");
        }
        if (req.body.groupId) await assertGroup(s, req.body.groupId);
        // Renaming keeps the id; segments and rules name the tag, so they are rewritten to the new name.
        if (name !== before.name) await renameTagInExpressions(s, before.name, name);
        await s.query("update tags set name = $2, color = $3, group_id = $4 where id = $1", [
          before.id,
          name,
          req.body.color ?? before.color,
          req.body.groupId === undefined ? before.group_id : req.body.groupId,
        ]);
        await platform.audit.record(s, req.actor(), {
          action: "tag.updated",
          targetType: "tag",
          targetId: before.id,
          data: { before: { name: before.name }, after: { name } },
        });
        return (await listTags(s)).find((x) => x.id === before.id)!;
      }),
  );

  api.delete(
    "/tags/:id",
    {
      config: { permission: "customers.write", resource: "tag" },
      schema: {
        tags: ["tags"],
        params: idParams,
        response: { 200: z.object({ ok: z.literal(true), customers: z.number() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const tag = await getTag(s, req.params.id);
        const removed = await s.query(
          "update customers set tag_nums = array_remove(tag_nums, $1::int4), updated_at = now() where tag_nums @> array[$1::int4] returning id",
          [tag.num],
        );
        await s.query("update tags set deleted_at = now() where id = $1", [tag.id]);
        await platform.audit.record(s, req.actor(), {
          action: "tag.deleted",
          targetType: "tag",
          targetId: tag.id,
          data: { name: tag.name, customers: removed.length },
        });
        return { ok: true as const, customers: removed.length };
      }),
  );

  api.get(
    "/tag-groups",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["tags"],
        response: { 200: z.object({ items: z.array(groupSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({
      items: await req.inTenant((s) =>
        s.query<{ id: string; name: string }>("select id, name from tag_groups order by name"),
      ),
      nextCursor: null,
    }),
  );

  api.post(
    "/tag-groups",
    {
      config: { permission: "customers.write" },
      schema: {
        tags: ["tags"],
        body: z.strictObject({ name: z.string().trim().min(1).max(50) }),
        response: { 201: groupSchema },
      },
    },
    async (req, reply) => {
      const group = await req.inTenant(async (s) => {
        if (
          (await s.query("select 1 from tag_groups where lower(name) = lower($1)", [req.body.name])).length
        ) {
          throw new AppError("conflict", "a tag group with this name exists");
        }
        const id = newId("tgg");
        await s.query("insert into tag_groups (id, tenant_id, name) values ($1, $2, $3)", [
          id,
          s.tenantId,
          req.body.name,
        ]);
        return { id, name: req.body.name };
      });
      return reply.status(201).send(group);
    },
  );

  api.patch(
    "/tag-groups/:id",
    {
      config: { permission: "customers.write", resource: "tag_group" },
      schema: {
        tags: ["tags"],
        params: idParams,
        body: z.strictObject({ name: z.string().trim().min(1).max(50) }),
        response: { 200: groupSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertGroup(s, req.params.id);
        if (
          (
            await s.query("select 1 from tag_groups where lower(name) = lower($1) and id <> $2", [
              req.body.name,
              req.params.id,
            ])
          ).length
        ) {
          throw new AppError("conflict", "a tag group with this name exists");
        }
        await s.query("update tag_groups set name = $2 where id = $1", [req.params.id, req.body.name]);
        return { id: req.params.id, name: req.body.name };
      }),
  );

  api.delete(
    "/tag-groups/:id",
    {
      config: { permission: "customers.write", resource: "tag_group" },
      schema: { tags: ["tags"], params: idParams, response: { 200: z.object({ ok: z.literal(true) }) } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertGroup(s, req.params.id);
        // Its tags stay, ungrouped.
        await s.query("update tags set group_id = null where group_id = $1", [req.params.id]);
        await s.query("delete from tag_groups where id = $1", [req.params.id]);
        await platform.audit.record(s, req.actor(), {
          action: "tag_group.deleted",
          targetType: "tag_group",
          targetId: req.params.id,
        });
        return { ok: true as const };
      }),
  );
}

async function assertGroup(s: import("../../../platform/db/index.ts").Scope, id: string) {
  if (!(await s.query("select 1 from tag_groups where id = $1", [id])).length) throw notFound("tag group");
}
