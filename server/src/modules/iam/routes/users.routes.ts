import { listQuerySchema, roleSchema, userDtoSchema } from "@siyu/contracts";
import { z } from "zod";
import { AppError, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { createUser, deleteUser, getUser, listUsers, setPassword, updateUser } from "../users.service.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const ok = z.object({ ok: z.literal(true) });
const userList = z.object({ items: z.array(userDtoSchema), nextCursor: z.string().nullable() });
const departmentSchema = z.object({ id: z.string(), name: z.string(), parentId: z.string().nullable() });

export function usersRoutes(api: Api, platform: Platform) {
  const { audit } = platform;

  api.get(
    "/users",
    {
      config: { permission: "users.read" },
      schema: {
        tags: ["users"],
        querystring: listQuerySchema.extend({ q: z.string().max(200).optional() }),
        response: { 200: userList },
      },
    },
    async (req) => req.inTenant((s) => listUsers(s, req.query)),
  );

  api.post(
    "/users",
    {
      config: { permission: "users.manage" },
      schema: {
        tags: ["users"],
        body: z.strictObject({
          email: z.string().email().max(254),
          password: z.string().max(200),
          name: z.string().trim().min(1).max(100),
          roles: z.array(roleSchema).min(1).max(7),
          departmentId: z.string().max(100).nullable().optional(),
        }),
        response: { 201: userDtoSchema },
      },
    },
    async (req, reply) => {
      const auth = req.caller();
      // Only an owner may make another owner.
      if (req.body.roles.includes("owner") && !auth.roles.includes("owner")) {
        throw new AppError("forbidden", "only an owner can grant the owner role");
      }
      const user = await req.inTenant((s) => createUser(s, audit, req.actor(), req.body));
      return reply.status(201).send(user);
    },
  );

  api.get(
    "/users/:id",
    {
      config: { permission: "users.read", resource: "user" },
      schema: { tags: ["users"], params: idParams, response: { 200: userDtoSchema } },
    },
    async (req) => req.inTenant((s) => getUser(s, req.params.id)),
  );

  api.patch(
    "/users/:id",
    {
      config: { permission: "users.manage", resource: "user" },
      schema: {
        tags: ["users"],
        params: idParams,
        body: z.strictObject({
          name: z.string().trim().min(1).max(100).optional(),
          roles: z.array(roleSchema).min(1).max(7).optional(),
          departmentId: z.string().max(100).nullable().optional(),
          status: z.enum(["active", "disabled"]).optional(),
        }),
        response: { 200: userDtoSchema },
      },
    },
    async (req) => {
      const auth = req.caller();
      return req.inTenant(async (s) => {
        const target = await getUser(s, req.params.id);
        const touchesOwner = target.roles.includes("owner") || (req.body.roles ?? []).includes("owner");
        if (touchesOwner && !auth.roles.includes("owner")) {
          throw new AppError("forbidden", "only an owner can change an owner");
        }
        return updateUser(s, platform, req.actor(), req.params.id, req.body);
      });
    },
  );

  api.delete(
    "/users/:id",
    {
      config: { permission: "users.manage", resource: "user" },
      schema: {
        tags: ["users"],
        summary: "Delete a login (soft): its sessions end, its WeCom member link is cleared",
        params: idParams,
      },
    },
    async (req, reply) => {
      const auth = req.caller();
      await req.inTenant(async (s) => {
        const target = await getUser(s, req.params.id);
        if (target.id === auth.userId) throw new AppError("forbidden", "you cannot delete your own login");
        if (target.roles.includes("owner") && !auth.roles.includes("owner")) {
          throw new AppError("forbidden", "only an owner can change an owner");
        }
        await deleteUser(s, platform, req.actor(), req.params.id);
      });
      return reply.status(204).send();
    },
  );

  api.post(
    "/users/:id/password",
    {
      config: { permission: "users.manage", resource: "user" },
      schema: {
        tags: ["users"],
        params: idParams,
        body: z.strictObject({ password: z.string().max(200) }),
        response: { 200: ok },
      },
    },
    async (req) => {
      await req.inTenant((s) => setPassword(s, audit, req.actor(), req.params.id, req.body.password));
      return { ok: true as const };
    },
  );

  api.get(
    "/departments",
    {
      config: { permission: "users.read" },
      schema: {
        tags: ["users"],
        querystring: listQuerySchema,
        response: { 200: z.object({ items: z.array(departmentSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const rows = await s.query<{ id: string; name: string; parent_id: string | null }>(
          "select id, name, parent_id from departments where ($2::text is null or id > $2) order by id limit $1",
          [req.query.limit + 1, req.query.cursor ?? null],
        );
        const items = rows
          .slice(0, req.query.limit)
          .map((r) => ({ id: r.id, name: r.name, parentId: r.parent_id }));
        return { items, nextCursor: rows.length > req.query.limit ? (items.at(-1)?.id ?? null) : null };
      }),
  );

  api.post(
    "/departments",
    {
      config: { permission: "users.manage" },
      schema: {
        tags: ["users"],
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          parentId: z.string().max(100).nullable().optional(),
        }),
        response: { 201: departmentSchema },
      },
    },
    async (req, reply) => {
      const dep = await req.inTenant(async (s) => {
        if (req.body.parentId) {
          const parent = await s.query("select 1 from departments where id = $1", [req.body.parentId]);
          if (!parent.length) throw notFound("parent department");
        }
        const id = newId("dep");
        await s.query("insert into departments (id, tenant_id, name, parent_id) values ($1, $2, $3, $4)", [
          id,
          s.tenantId,
          req.body.name,
          req.body.parentId ?? null,
        ]);
        await audit.record(s, req.actor(), {
          action: "department.created",
          targetType: "department",
          targetId: id,
          data: { name: req.body.name },
        });
        return { id, name: req.body.name, parentId: req.body.parentId ?? null };
      });
      return reply.status(201).send(dep);
    },
  );
}
