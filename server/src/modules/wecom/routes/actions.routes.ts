import {
  listQuerySchema,
  wecomCorpTagSchema,
  wecomGroupTransferInputSchema,
  wecomList,
  wecomMassMessageInputSchema,
  wecomMassMessageSchema,
  wecomMassRecipientSchema,
  wecomMassRecipientStatuses,
  wecomMomentInputSchema,
  wecomMomentSchema,
  wecomRemarkInputSchema,
  wecomRemarkSchema,
  wecomTagMarkSchema,
  wecomTransferDetailSchema,
  wecomTransferInputSchema,
  wecomUnassignedSchema,
} from "@siyu/contracts";
import { z } from "zod";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { customerIdsMergedInto } from "../../customers/index.ts";
import { pollMassMessage, sendMassMessage } from "../jobs/mass-message.job.ts";
import { sendMomentJob } from "../jobs/moment.job.ts";
import { pollTransfer, sendTransfer } from "../jobs/transfer.job.ts";
import { tenantClient, wecomRouteError } from "../ops/action-steps.ts";
import {
  createMassMessage,
  getMassMessage,
  listMassMessages,
  listMassRecipients,
} from "../ops/mass-messages.ts";
import { getMoment, listMoments } from "../ops/moments.ts";
import { requireManager } from "../ops/rbac.ts";
import { remarkTarget, saveRemark } from "../ops/remarks.ts";
import { createGroupTransfer, createTransfer, getTransfer, listTransfers } from "../ops/transfers.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const tags = ["wecom"];

/** Routes of the WeCom actions (SPEC §2): remarks, tag marks, mass messages, moments, succession. */
export function wecomActionRoutes(api: Api, platform: Platform) {
  // ── remarks ──────────────────────────────────────────────────────────────────────────────────
  api.put(
    "/wecom/contacts/:externalUserId/remark",
    {
      config: { permission: "customers.write", resource: "wecom_contact" },
      schema: {
        tags,
        params: z.object({ externalUserId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
        body: wecomRemarkInputSchema,
        response: { 200: wecomRemarkSchema },
      },
    },
    async (req) => {
      const auth = req.caller();
      const ext = req.params.externalUserId;
      const before = await req.inTenant((s) => remarkTarget(s, platform, auth, ext, req.body.userid));
      // WeCom first, outside any transaction; setting the same remark twice is harmless, so no job.
      const client = await tenantClient(platform, auth.tenantId);
      try {
        await client.externalContact.remark({
          userid: req.body.userid,
          external_userid: ext,
          ...(req.body.remark !== undefined ? { remark: req.body.remark } : {}),
          ...(req.body.description !== undefined ? { description: req.body.description } : {}),
          ...(req.body.mobiles !== undefined
            ? { remark_mobiles: req.body.mobiles.length ? req.body.mobiles : [""] }
            : {}),
        });
      } catch (err) {
        throw wecomRouteError(err);
      }
      return req.inTenant(async (s) => {
        const dto = await saveRemark(s, platform, ext, req.body, before);
        await platform.audit.record(s, req.actor(), {
          action: "wecom.remark_updated",
          targetType: "customer",
          targetId: before.customerId,
          data: {
            externalUserid: ext,
            userid: req.body.userid,
            mobilesChanged: req.body.mobiles !== undefined,
          },
        });
        return dto;
      });
    },
  );

  // ── corp tags and tag marks ─────────────────────────────────────────────────────────────────
  api.get(
    "/wecom/corp-tags",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        response: { 200: z.object({ items: z.array(wecomCorpTagSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => {
      const rows = await req.inTenant((s) =>
        s.query<{ wecom_id: string; name: string; group_name: string | null; siyu_tag_id: string | null }>(
          `select t.wecom_id, t.name, g.name as group_name, t.siyu_tag_id from wecom_corp_tags t
             left join wecom_corp_tags g on g.wecom_id = t.group_wecom_id and g.kind = 'group'
            where t.kind = 'tag' and t.deleted_at is null order by g.name nulls last, t.name limit 10000`,
        ),
      );
      return {
        items: rows.map((r) => ({
          id: r.wecom_id,
          name: r.name,
          groupName: r.group_name,
          siyuTagId: r.siyu_tag_id,
        })),
        nextCursor: null,
      };
    },
  );

  api.get(
    "/wecom/tag-marks",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        querystring: listQuerySchema.extend({ customerId: z.string().max(100).optional() }),
        response: { 200: wecomList(wecomTagMarkSchema) },
      },
    },
    async (req) => {
      const { limit, cursor, customerId } = req.query;
      const rows = await req.inTenant(async (s) =>
        s.query<{
          id: string;
          customer_id: string;
          tag_id: string;
          wecom_tag_id: string;
          op: "add" | "remove";
          status: "pending" | "done" | "failed";
          relations: Array<Record<string, unknown>>;
          error: string | null;
          created_at: Date;
        }>(
          // A mark keeps the customer id it was made for: a customer's list takes its merged profiles' too.
          `select * from wecom_tag_marks where ($2::text is null or id < $2) and ($3::text[] is null or customer_id = any($3))
            order by id desc limit $1`,
          [limit + 1, cursor ?? null, customerId ? await customerIdsMergedInto(s, customerId) : null],
        ),
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map((r) => ({
          id: r.id,
          customerId: r.customer_id,
          tagId: r.tag_id,
          wecomTagId: r.wecom_tag_id,
          op: r.op,
          status: r.status,
          relations: r.relations,
          error: r.error,
          createdAt: r.created_at.toISOString(),
        })),
        nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );

  // ── mass messages ───────────────────────────────────────────────────────────────────────────
  api.post(
    "/wecom/mass-messages",
    {
      config: { permission: "customers.write" },
      schema: { tags, body: wecomMassMessageInputSchema, response: { 201: wecomMassMessageSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      requireManager(auth);
      const dto = await req.inTenant(async (s) => {
        const id = await createMassMessage(s, platform, { ...req.actor(), userId: auth.userId }, req.body);
        s.onCommit(() => {
          sendMassMessage(platform, auth.tenantId, id).catch((err: unknown) =>
            platform.log.warn({ err, id }, "mass-send enqueue failed; the sweep retries"),
          );
        });
        return getMassMessage(s, id);
      });
      return reply.status(201).send(dto);
    },
  );

  api.get(
    "/wecom/mass-messages",
    {
      config: { permission: "customers.read" },
      schema: { tags, querystring: listQuerySchema, response: { 200: wecomList(wecomMassMessageSchema) } },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => listMassMessages(s, req.query));
    },
  );

  api.get(
    "/wecom/mass-messages/:id",
    {
      config: { permission: "customers.read", resource: "wecom_mass_message" },
      schema: { tags, params: idParams, response: { 200: wecomMassMessageSchema } },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => getMassMessage(s, req.params.id));
    },
  );

  api.get(
    "/wecom/mass-messages/:id/recipients",
    {
      config: { permission: "customers.read", resource: "wecom_mass_message" },
      schema: {
        tags,
        params: idParams,
        querystring: listQuerySchema.extend({
          status: z.enum(wecomMassRecipientStatuses).optional(),
          customerId: z.string().max(100).optional(),
        }),
        response: { 200: wecomList(wecomMassRecipientSchema) },
      },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => listMassRecipients(s, req.params.id, req.query));
    },
  );

  api.post(
    "/wecom/mass-messages/:id/refresh",
    {
      config: { permission: "customers.write", resource: "wecom_mass_message" },
      schema: { tags, params: idParams, response: { 202: wecomMassMessageSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      requireManager(auth);
      const dto = await req.inTenant((s) => getMassMessage(s, req.params.id));
      await pollMassMessage(platform, auth.tenantId, dto.id, -1);
      return reply.status(202).send(dto);
    },
  );

  // ── moments ────────────────────────────────────────────────────────────────────────────────
  api.post(
    "/wecom/moments",
    {
      config: { permission: "customers.write" },
      schema: { tags, body: wecomMomentInputSchema, response: { 201: wecomMomentSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      requireManager(auth);
      const b = req.body;
      const visibleRange = {
        ...(b.senders.length || b.departments.length
          ? { sender_list: { user_list: b.senders, department_list: b.departments } }
          : {}),
        ...(b.tagIds.length ? { external_contact_list: { tag_list: b.tagIds } } : {}),
      };
      const dto = await req.inTenant(async (s) => {
        const id = newId("wmo");
        await s.query(
          `insert into wecom_moment_tasks (id, tenant_id, text, attachments, visible_range, created_by)
           values ($1, $2, $3, $4, $5, $6)`,
          [
            id,
            auth.tenantId,
            b.text ?? "",
            JSON.stringify(b.attachments),
            JSON.stringify(visibleRange),
            auth.userId,
          ],
        );
        await platform.audit.record(s, req.actor(), {
          action: "wecom.moment_created",
          targetType: "wecom_moment",
          targetId: id,
          data: { senders: b.senders.length, tags: b.tagIds.length, attachments: b.attachments.length },
        });
        s.onCommit(() => {
          sendMomentJob(platform, auth.tenantId, id).catch((err: unknown) =>
            platform.log.warn({ err, id }, "moment enqueue failed; the sweep retries"),
          );
        });
        return getMoment(s, id);
      });
      return reply.status(201).send(dto);
    },
  );

  api.get(
    "/wecom/moments",
    {
      config: { permission: "customers.read" },
      schema: { tags, querystring: listQuerySchema, response: { 200: wecomList(wecomMomentSchema) } },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => listMoments(s, req.query));
    },
  );

  api.get(
    "/wecom/moments/:id",
    {
      config: { permission: "customers.read", resource: "wecom_moment" },
      schema: { tags, params: idParams, response: { 200: wecomMomentSchema } },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => getMoment(s, req.params.id));
    },
  );

  // ── succession ─────────────────────────────────────────────────────────────────────────────
  api.get(
    "/wecom/transfers/unassigned",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(5000).default(1000) }),
        response: { 200: z.object({ items: z.array(wecomUnassignedSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => {
      const auth = req.caller();
      requireManager(auth);
      // Nothing can be waiting for a tenant that has not connected WeCom: an empty list, not an error.
      const client = await tenantClient(platform, auth.tenantId).catch((err: unknown) => {
        if (err instanceof AppError && err.code === "wecom_not_configured") return null;
        throw err;
      });
      if (!client) return { items: [], nextCursor: null };
      const info: Array<{ handover_userid: string; external_userid: string; dimission_time: number }> = [];
      try {
        for await (const i of client.transfer.iterateUnassigned(1000)) {
          info.push(i);
          if (info.length >= req.query.limit) break;
        }
      } catch (err) {
        throw wecomRouteError(err);
      }
      const known = await req.inTenant((s) =>
        s.query<{ external_userid: string; customer_id: string; name: string }>(
          "select external_userid, customer_id, name from wecom_contacts where external_userid = any($1::text[])",
          [info.map((i) => i.external_userid)],
        ),
      );
      const byExt = new Map(known.map((k) => [k.external_userid, k]));
      return {
        items: info.map((i) => ({
          handoverUserid: i.handover_userid,
          externalUserid: i.external_userid,
          customerId: byExt.get(i.external_userid)?.customer_id ?? null,
          name: byExt.get(i.external_userid)?.name ?? null,
          dimissionTime: i.dimission_time ? new Date(i.dimission_time * 1000).toISOString() : null,
        })),
        nextCursor: null,
      };
    },
  );

  api.post(
    "/wecom/transfers",
    {
      config: { permission: "customers.write" },
      schema: { tags, body: wecomTransferInputSchema, response: { 201: wecomTransferDetailSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      requireManager(auth);
      const dto = await req.inTenant(async (s) => {
        const id = await createTransfer(s, platform, req.actor(), req.body);
        s.onCommit(() => {
          sendTransfer(platform, auth.tenantId, id).catch((err: unknown) =>
            platform.log.warn({ err, id }, "transfer enqueue failed; the sweep retries"),
          );
        });
        return getTransfer(s, id);
      });
      return reply.status(201).send(dto);
    },
  );

  api.post(
    "/wecom/group-transfers",
    {
      config: { permission: "customers.write" },
      schema: { tags, body: wecomGroupTransferInputSchema, response: { 201: wecomTransferDetailSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      requireManager(auth);
      const dto = await req.inTenant(async (s) => {
        const id = await createGroupTransfer(s, platform, req.actor(), req.body);
        s.onCommit(() => {
          sendTransfer(platform, auth.tenantId, id).catch((err: unknown) =>
            platform.log.warn({ err, id }, "transfer enqueue failed; the sweep retries"),
          );
        });
        return getTransfer(s, id);
      });
      return reply.status(201).send(dto);
    },
  );

  api.get(
    "/wecom/transfers",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        querystring: listQuerySchema,
        response: { 200: wecomList(wecomTransferDetailSchema.omit({ items: true })) },
      },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => listTransfers(s, req.query));
    },
  );

  api.get(
    "/wecom/transfers/:id",
    {
      config: { permission: "customers.read", resource: "wecom_transfer" },
      schema: { tags, params: idParams, response: { 200: wecomTransferDetailSchema } },
    },
    async (req) => {
      requireManager(req.caller());
      return req.inTenant((s) => getTransfer(s, req.params.id));
    },
  );

  api.post(
    "/wecom/transfers/:id/refresh",
    {
      config: { permission: "customers.write", resource: "wecom_transfer" },
      schema: { tags, params: idParams, response: { 202: wecomTransferDetailSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      requireManager(auth);
      const dto = await req.inTenant((s) => getTransfer(s, req.params.id));
      await pollTransfer(platform, auth.tenantId, dto.id, -1);
      return reply.status(202).send(dto);
    },
  );
}
