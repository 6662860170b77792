import {
  listQuerySchema,
  wecomAlertSchema,
  wecomEventSchema,
  wecomGroupSchema,
  wecomList,
  wecomStaffLinkInputSchema,
  wecomStaffSchema,
  wecomSyncRunSchema,
  wecomSyncStartSchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { listRuns, startSync } from "../jobs/sync.job.ts";
import { linkStaff, listStaff, toStaffDto } from "../ops/link-staff.ts";

/** Keyset cursor over a text column: the last value seen. */
const cursorOf = <T>(rows: T[], limit: number, key: (r: T) => string) =>
  rows.length > limit ? key(rows[limit - 1] as T) : null;

/** Read routes of the WeCom engine: staff, groups, processed events and alerts. */
export function wecomReadRoutes(api: Api, platform: Platform) {
  api.post(
    "/wecom/sync",
    {
      config: { permission: "settings.manage" },
      schema: { tags: ["wecom"], body: wecomSyncStartSchema, response: { 202: wecomSyncRunSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      const run = await startSync(platform, auth.tenantId, req.body.kind, auth.userId);
      return reply.status(202).send(run);
    },
  );

  api.get(
    "/wecom/sync",
    {
      config: { permission: "settings.read" },
      schema: {
        tags: ["wecom"],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ items: z.array(wecomSyncRunSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listRuns(s, req.query.limit)), nextCursor: null }),
  );

  api.get(
    "/wecom/staff",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["wecom"],
        querystring: listQuerySchema,
        response: { 200: wecomList(wecomStaffSchema) },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      const rows = await req.inTenant((s) => listStaff(s, limit + 1, cursor ?? null));
      return {
        items: rows.slice(0, limit).map(toStaffDto),
        nextCursor: cursorOf(rows, limit, (r) => r.userid),
      };
    },
  );

  // The user ↔ member map by hand: who sees whose customers and whose WeCom account a login's tasks
  // go to depend on it, so it is a settings permission and every change is audited.
  api.put(
    "/wecom/staff/:userid/user",
    {
      config: { permission: "settings.manage", resource: "wecom_staff" },
      schema: {
        tags: ["wecom"],
        params: z.object({ userid: z.string().min(1).max(64) }),
        body: wecomStaffLinkInputSchema,
        response: { 200: wecomStaffSchema },
      },
    },
    async (req) =>
      req.inTenant((s) =>
        linkStaff(
          s,
          { platform, actor: req.actor() },
          { userid: req.params.userid, userId: req.body.userId },
        ),
      ),
  );

  api.get(
    "/wecom/groups",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["wecom"],
        querystring: listQuerySchema,
        response: { 200: wecomList(wecomGroupSchema) },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      const rows = await req.inTenant((s) =>
        s.query<{
          chat_id: string;
          name: string;
          owner_userid: string | null;
          member_count: number;
          member_version: string | null;
          dismissed_at: Date | null;
          updated_at: Date;
        }>(
          `select chat_id, name, owner_userid, member_count, member_version, dismissed_at, updated_at
             from wecom_groups where ($2::text is null or chat_id > $2) order by chat_id limit $1`,
          [limit + 1, cursor ?? null],
        ),
      );
      return {
        items: rows.slice(0, limit).map((r) => ({
          chatId: r.chat_id,
          name: r.name,
          ownerUserid: r.owner_userid,
          memberCount: r.member_count,
          memberVersion: r.member_version,
          dismissed: r.dismissed_at !== null,
          updatedAt: r.updated_at.toISOString(),
        })),
        nextCursor: cursorOf(rows, limit, (r) => r.chat_id),
      };
    },
  );

  api.get(
    "/wecom/events",
    {
      config: { permission: "settings.read" },
      schema: {
        tags: ["wecom"],
        querystring: listQuerySchema,
        response: { 200: wecomList(wecomEventSchema) },
      },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      const before = cursor && /^\d{1,18}$/.test(cursor) ? cursor : null;
      const rows = await req.inTenant((s) =>
        s.query<{
          inbox_id: string | number;
          kind: string;
          status: "pending" | "done" | "ignored" | "failed";
          error: string | null;
          created_at: Date;
        }>(
          `select inbox_id, kind, status, error, created_at from wecom_event_tasks
            where ($2::bigint is null or inbox_id < $2) order by inbox_id desc limit $1`,
          [limit + 1, before],
        ),
      );
      return {
        items: rows.slice(0, limit).map((r) => ({
          inboxId: String(r.inbox_id),
          kind: r.kind,
          status: r.status,
          error: r.error,
          createdAt: r.created_at.toISOString(),
        })),
        nextCursor: cursorOf(rows, limit, (r) => String(r.inbox_id)),
      };
    },
  );

  api.get(
    "/wecom/alerts",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["wecom"],
        querystring: listQuerySchema,
        response: { 200: wecomList(wecomAlertSchema) },
      },
    },
    async (req) => {
      const auth = req.caller();
      const { limit, cursor } = req.query;
      // Managers and up see every alert; others only those addressed to their login.
      const all = auth.dataScope !== "own";
      const rows = await req.inTenant((s) =>
        s.query<{
          id: string;
          kind: string;
          customer_id: string | null;
          recipient_userids: string[];
          data: Record<string, unknown>;
          created_at: Date;
          read_at: Date | null;
        }>(
          `select id, kind, customer_id, recipient_userids, data, created_at, read_at from wecom_alerts
            where ($2::text is null or id < $2) and ($3 or $4 = any(recipient_user_ids))
            order by id desc limit $1`,
          [limit + 1, cursor ?? null, all, auth.userId ?? ""],
        ),
      );
      return {
        items: rows.slice(0, limit).map((r) => ({
          id: r.id,
          kind: r.kind,
          customerId: r.customer_id,
          recipientUserids: r.recipient_userids,
          data: r.data,
          createdAt: r.created_at.toISOString(),
          read: r.read_at !== null,
        })),
        nextCursor: cursorOf(rows, limit, (r) => r.id),
      };
    },
  );
}
