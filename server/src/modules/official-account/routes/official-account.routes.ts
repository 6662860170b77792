import {
  listQuerySchema,
  oaEventTaskSchema,
  oaFollowerSchema,
  oaFollowerStatsSchema,
  oaKeywordReplyInputSchema,
  oaKeywordReplySchema,
  oaSyncRunSchema,
  oaSyncStartSchema,
} from "@siyu/contracts";
import { z } from "zod";
import { notFound } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { getOaRun, listOaRuns, startOaSync } from "../jobs/sync.job.ts";
import { currentAppSql } from "../ops/apply-followers.ts";
import { deleteKeywordReply, listKeywordReplies, saveKeywordReply } from "../ops/keyword-replies.ts";

const tags = ["official-account"];
const list = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Followers, sync runs, processed callbacks and keyword auto-replies of the Official Account engine. */
export function oaRoutes(api: Api, platform: Platform) {
  api.post(
    "/official-account/sync",
    {
      config: { permission: "settings.manage" },
      schema: { tags, body: oaSyncStartSchema, response: { 202: oaSyncRunSchema } },
    },
    async (req, reply) => {
      const auth = req.caller();
      return reply.status(202).send(await startOaSync(platform, auth.tenantId, auth.userId));
    },
  );

  api.get(
    "/official-account/sync",
    {
      config: { permission: "settings.read" },
      schema: {
        tags,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ items: z.array(oaSyncRunSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listOaRuns(s, req.query.limit)), nextCursor: null }),
  );

  api.get(
    "/official-account/sync/:id",
    {
      config: { permission: "settings.read", resource: "oa_sync_run" },
      schema: { tags, params: z.object({ id: z.string().max(64) }), response: { 200: oaSyncRunSchema } },
    },
    async (req) => {
      const run = await req.inTenant((s) => getOaRun(s, req.params.id));
      if (!run) throw notFound("sync run");
      return run;
    },
  );

  api.get(
    "/official-account/followers",
    {
      config: { permission: "customers.read" },
      schema: {
        tags,
        querystring: listQuerySchema.extend({
          subscribed: z.enum(["true", "false"]).optional(),
          q: z.string().max(100).optional(),
        }),
        response: { 200: list(oaFollowerSchema) },
      },
    },
    async (req) => {
      const { limit, cursor, subscribed, q } = req.query;
      const rows = await req.inTenant((s) =>
        s.query<{
          openid: string;
          customer_id: string;
          name: string | null;
          unionid: string | null;
          subscribed: boolean;
          subscribe_time: Date | null;
          unsubscribed_at: Date | null;
          subscribe_scene: string | null;
          qr_scene: string | null;
          tag_ids: number[];
          last_interaction_at: Date | null;
          updated_at: Date;
        }>(
          `select f.*, c.name from oa_followers f left join customers c on c.id = f.customer_id
            where f.app_id = ${currentAppSql} and ($2::text is null or f.openid > $2) and ($3::boolean is null or f.subscribed = $3)
              and ($4::text is null or f.openid = $4 or f.unionid = $4 or f.qr_scene = $4)
            order by f.openid limit $1`,
          [limit + 1, cursor ?? null, subscribed === undefined ? null : subscribed === "true", q ?? null],
        ),
      );
      return {
        items: rows.slice(0, limit).map((r) => ({
          openid: r.openid,
          customerId: r.customer_id,
          customerName: r.name,
          unionid: r.unionid,
          subscribed: r.subscribed,
          subscribeTime: iso(r.subscribe_time),
          unsubscribedAt: iso(r.unsubscribed_at),
          subscribeScene: r.subscribe_scene,
          qrScene: r.qr_scene,
          tagIds: r.tag_ids,
          lastInteractionAt: iso(r.last_interaction_at),
          updatedAt: r.updated_at.toISOString(),
        })),
        nextCursor: rows.length > limit ? (rows[limit - 1]?.openid ?? null) : null,
      };
    },
  );

  api.get(
    "/official-account/followers/stats",
    { config: { permission: "customers.read" }, schema: { tags, response: { 200: oaFollowerStatsSchema } } },
    async (req) => {
      const [row] = await req.inTenant((s) =>
        s.query<{ followers: number; subscribed: number; with_unionid: number; linked: number }>(
          `select count(*)::int as followers, count(*) filter (where subscribed)::int as subscribed,
                  count(*) filter (where unionid is not null)::int as with_unionid,
                  count(*) filter (where exists (select 1 from customer_identities i
                     where i.customer_id = f.customer_id and i.type = 'wecom_external_userid'))::int as linked
             from oa_followers f where f.app_id = ${currentAppSql}`,
        ),
      );
      return {
        followers: row?.followers ?? 0,
        subscribed: row?.subscribed ?? 0,
        unsubscribed: (row?.followers ?? 0) - (row?.subscribed ?? 0),
        withUnionid: row?.with_unionid ?? 0,
        linkedToWecom: row?.linked ?? 0,
      };
    },
  );

  api.get(
    "/official-account/events",
    {
      config: { permission: "settings.read" },
      schema: {
        tags,
        querystring: listQuerySchema.extend({
          status: z.enum(["pending", "done", "ignored", "failed"]).optional(),
        }),
        response: { 200: list(oaEventTaskSchema) },
      },
    },
    async (req) => {
      const { limit, cursor, status } = req.query;
      const before = cursor && /^\d{1,18}$/.test(cursor) ? cursor : null;
      const rows = await req.inTenant((s) =>
        s.query<{
          inbox_id: string | number;
          kind: string;
          openid: string;
          status: "pending" | "done" | "ignored" | "failed";
          attempts: number;
          error: string | null;
          created_at: Date;
          done_at: Date | null;
        }>(
          `select inbox_id, kind, openid, status, attempts, error, created_at, done_at from oa_event_tasks
            where ($2::bigint is null or inbox_id < $2) and ($3::text is null or status = $3)
            order by inbox_id desc limit $1`,
          [limit + 1, before, status ?? null],
        ),
      );
      return {
        items: rows.slice(0, limit).map((r) => ({
          inboxId: Number(r.inbox_id),
          kind: r.kind,
          openid: r.openid,
          status: r.status,
          attempts: r.attempts,
          error: r.error,
          createdAt: r.created_at.toISOString(),
          doneAt: iso(r.done_at),
        })),
        nextCursor: rows.length > limit ? String(rows[limit - 1]?.inbox_id) : null,
      };
    },
  );

  // ── keyword auto-replies (the passive-reply provider "keywords") ──
  const replyParams = z.object({ id: z.string().max(64) });
  api.get(
    "/official-account/auto-replies",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        response: { 200: z.object({ items: z.array(oaKeywordReplySchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: await req.inTenant((s) => listKeywordReplies(s)), nextCursor: null }),
  );
  api.post(
    "/official-account/auto-replies",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: oaKeywordReplyInputSchema, response: { 201: oaKeywordReplySchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await req.inTenant((s) => saveKeywordReply(s, platform, req.actor(), req.body))),
  );
  api.put(
    "/official-account/auto-replies/:id",
    {
      config: { permission: "channels.manage", resource: "oa_auto_reply" },
      schema: {
        tags,
        params: replyParams,
        body: oaKeywordReplyInputSchema,
        response: { 200: oaKeywordReplySchema },
      },
    },
    async (req) => req.inTenant((s) => saveKeywordReply(s, platform, req.actor(), req.body, req.params.id)),
  );
  api.delete(
    "/official-account/auto-replies/:id",
    {
      config: { permission: "channels.manage", resource: "oa_auto_reply" },
      schema: { tags, params: replyParams },
    },
    async (req, reply) => {
      await req.inTenant((s) => deleteKeywordReply(s, platform, req.actor(), req.params.id));
      return reply.status(204).send();
    },
  );
}
