import {
  channelAccountFilterValues,
  channelListOf,
  channelOverviewSchema,
  channelStatsQuerySchema,
  channelStatsSchema,
  channelTypeValues,
  liveCodeListQuerySchema,
  oaQrCodeCreateSchema,
  oaQrCodeSchema,
  oaQrCodeUpdateSchema,
  oaQrSpendCreateSchema,
} from "@siyu/contracts";
import { z } from "zod";
import { notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { oaRouteError } from "../../official-account/index.ts";
import {
  channelOverview,
  channelOverviewCsv,
  channelStats,
  channelStatsCsv,
} from "../channel-stats.service.ts";
import {
  createOaQrCode,
  deleteOaQrCode,
  listOaQrCodes,
  oaQrDto,
  oaQrRow,
  updateOaQrCode,
} from "../oa-qr-codes.service.ts";
import {
  channelCaller,
  channelCodeIdParams,
  channelCodeQrRoute,
  engineGuard,
} from "./channel-code.routes.ts";

const idParams = channelCodeIdParams;
const tags = ["channels"];
const resource = "oa_qr_code";

/**
 * `/api/oa-qr-codes` (Official Account parametric QR codes as channels) and `/api/channels` (every
 * channel of both engines, with the one statistics model).
 */
export function oaQrCodeRoutes(api: Api, platform: Platform) {
  const caller = channelCaller(platform);
  const oa = engineGuard(oaRouteError);

  api.post(
    "/oa-qr-codes",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: oaQrCodeCreateSchema, response: { 201: oaQrCodeSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await oa(() => createOaQrCode(platform, caller(req), req.body))),
  );

  api.get(
    "/oa-qr-codes",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        querystring: liveCodeListQuerySchema,
        response: { 200: channelListOf(oaQrCodeSchema) },
      },
    },
    async (req) =>
      req.inTenant((s) =>
        listOaQrCodes(s, {
          limit: req.query.limit,
          cursor: req.query.cursor,
          includeDeleted: req.query.includeDeleted === "true",
        }),
      ),
  );

  api.get(
    "/oa-qr-codes/:id",
    {
      config: { permission: "channels.read", resource },
      schema: { tags, params: idParams, response: { 200: oaQrCodeSchema } },
    },
    async (req) => req.inTenant(async (s) => oaQrDto(await oaQrRow(s, req.params.id))),
  );

  api.patch(
    "/oa-qr-codes/:id",
    {
      config: { permission: "channels.manage", resource },
      schema: { tags, params: idParams, body: oaQrCodeUpdateSchema, response: { 200: oaQrCodeSchema } },
    },
    async (req) => req.inTenant((s) => updateOaQrCode(s, caller(req), req.params.id, req.body)),
  );

  api.delete(
    "/oa-qr-codes/:id",
    { config: { permission: "channels.manage", resource }, schema: { tags, params: idParams } },
    async (req, reply) => {
      await req.inTenant((s) => deleteOaQrCode(s, caller(req), req.params.id));
      return reply.status(204).send();
    },
  );

  /** The QR as PNG (encoding WeChat's `url` for the ticket), for print and download. */
  channelCodeQrRoute(api, {
    path: "/oa-qr-codes",
    tags,
    resource,
    target: async (req, id) => {
      const row = await req.inTenant((s) => oaQrRow(s, id));
      return { text: row.url, filename: `oa-qr-${row.scene}.png` };
    },
  });

  api.get(
    "/oa-qr-codes/:id/stats",
    {
      config: { permission: "channels.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: channelStatsQuerySchema,
        response: { 200: channelStatsSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await oaQrRow(s, req.params.id);
        return channelStats(s, { type: "oa_qr", id: req.params.id }, req.query);
      }),
  );

  api.get(
    "/oa-qr-codes/:id/stats.csv",
    {
      config: { permission: "channels.read", resource },
      schema: { tags, params: idParams, querystring: channelStatsQuerySchema },
    },
    async (req, reply) => {
      const stats = await req.inTenant(async (s) => {
        await oaQrRow(s, req.params.id);
        return channelStats(s, { type: "oa_qr", id: req.params.id }, req.query);
      });
      return reply
        .type("text/csv; charset=utf-8")
        .header(
          "content-disposition",
          `attachment; filename="oa-qr-${req.params.id}-${stats.from}-${stats.to}.csv"`,
        )
        .send(`\uFEFF${channelStatsCsv(stats)}\r\n`);
    },
  );

  api.post(
    "/oa-qr-codes/:id/spend",
    {
      config: { permission: "channels.manage", resource },
      schema: { tags, params: idParams, body: oaQrSpendCreateSchema },
    },
    async (req, reply) => {
      const id = await req.inTenant(async (s) => {
        await oaQrRow(s, req.params.id);
        const spendId = newId("oqs");
        await s.query(
          `insert into oa_qr_spend (id, tenant_id, qr_code_id, period_start, period_end, amount_fen, note, created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            spendId,
            s.tenantId,
            req.params.id,
            req.body.periodStart,
            req.body.periodEnd,
            req.body.amountFen,
            req.body.note ?? null,
            req.caller().userId ?? null,
          ],
        );
        await platform.audit.record(s, req.actor(), {
          action: "oa_qr_code.spend_added",
          targetType: "oa_qr_code",
          targetId: req.params.id,
          data: { ...req.body },
        });
        return spendId;
      });
      return reply.status(201).send({ id });
    },
  );

  // ── every channel of both engines ──
  const overviewQuery = channelStatsQuerySchema.extend({
    type: z.enum(channelTypeValues).optional(),
    account: z.enum(channelAccountFilterValues).optional(),
  });
  api.get(
    "/channels",
    {
      config: { permission: "channels.read" },
      schema: { tags, querystring: overviewQuery, response: { 200: channelOverviewSchema } },
    },
    async (req) => req.inTenant((s) => channelOverview(s, req.query)),
  );
  api.get(
    "/channels.csv",
    { config: { permission: "channels.read" }, schema: { tags, querystring: overviewQuery } },
    async (req, reply) => {
      const o = await req.inTenant((s) => channelOverview(s, req.query));
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="channels-${o.from}-${o.to}.csv"`)
        .send(`\uFEFF${channelOverviewCsv(o)}\r\n`);
    },
  );
  api.get(
    "/channels/:type/:id/stats",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        params: z.object({ type: z.enum(channelTypeValues), id: z.string().min(1).max(100) }),
        querystring: channelStatsQuerySchema,
        response: { 200: channelStatsSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const [exists] = await s.query(
          "select 1 from channel_list where channel_type = $1 and channel_id = $2",
          [req.params.type, req.params.id],
        );
        if (!exists) throw notFound("channel");
        return channelStats(s, { type: req.params.type, id: req.params.id }, req.query);
      }),
  );
}
