import {
  channelListOf,
  listQuerySchema,
  liveCodeAddSchema,
  liveCodeCreateSchema,
  liveCodeListQuerySchema,
  liveCodePosterQuerySchema,
  liveCodeScanSchema,
  liveCodeSchema,
  liveCodeSpendCreateSchema,
  liveCodeSpendSchema,
  liveCodeStatsQuerySchema,
  liveCodeStatsSchema,
  liveCodeUpdateSchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { wecomRouteError } from "../../wecom/index.ts";
import { addSpend, listAdds, listScans, listSpend } from "../activity.service.ts";
import {
  createLiveCode,
  deleteLiveCode,
  getLiveCode,
  listLiveCodes,
  liveCodeRow,
  updateLiveCode,
} from "../live-codes.service.ts";
import { renderPoster } from "../poster.service.ts";
import { channelSummary, liveCodeStats, statsCsv } from "../stats.service.ts";
import {
  channelCaller,
  channelCodeIdParams,
  channelCodeQrRoute,
  engineGuard,
} from "./channel-code.routes.ts";

const idParams = channelCodeIdParams;
const tags = ["live-codes"];
const resource = "live_code";

/** `/api/live-codes` (SPEC §3, CONTRACT "Channel live codes"). */
export function liveCodeRoutes(api: Api, platform: Platform) {
  const caller = channelCaller(platform);
  /** WeCom's refusals are 422 with its errcode (the port's AppError); outages 502. */
  const wecom = engineGuard(wecomRouteError);

  api.post(
    "/live-codes",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: liveCodeCreateSchema, response: { 201: liveCodeSchema } },
    },
    async (req, reply) =>
      reply.status(201).send(await wecom(() => createLiveCode(platform, caller(req), req.body))),
  );

  api.get(
    "/live-codes",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        querystring: liveCodeListQuerySchema,
        response: { 200: channelListOf(liveCodeSchema) },
      },
    },
    async (req) => req.inTenant((s) => listLiveCodes(s, platform, req.query)),
  );

  api.get(
    "/live-codes/summary",
    {
      config: { permission: "channels.read" },
      schema: {
        tags,
        querystring: liveCodeStatsQuerySchema,
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            items: z.array(
              z.object({
                liveCodeId: z.string().nullable(),
                name: z.string(),
                adds: z.number().int(),
                deletes: z.number().int(),
                netAdds: z.number().int(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => req.inTenant((s) => channelSummary(s, req.query)),
  );

  api.get(
    "/live-codes/:id",
    {
      config: { permission: "channels.read", resource },
      schema: { tags, params: idParams, response: { 200: liveCodeSchema } },
    },
    async (req) => req.inTenant((s) => getLiveCode(s, platform, req.params.id)),
  );

  api.patch(
    "/live-codes/:id",
    {
      config: { permission: "channels.manage", resource },
      schema: {
        tags,
        params: idParams,
        body: liveCodeUpdateSchema,
        response: { 200: liveCodeSchema },
      },
    },
    async (req) => wecom(() => updateLiveCode(platform, caller(req), req.params.id, req.body)),
  );

  api.delete(
    "/live-codes/:id",
    {
      config: { permission: "channels.manage", resource },
      schema: { tags, params: idParams, response: { 200: liveCodeSchema } },
    },
    async (req) => wecom(() => deleteLiveCode(platform, caller(req), req.params.id)),
  );

  api.get(
    "/live-codes/:id/stats",
    {
      config: { permission: "channels.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: liveCodeStatsQuerySchema,
        response: { 200: liveCodeStatsSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await liveCodeRow(s, req.params.id);
        return liveCodeStats(s, req.params.id, req.query);
      }),
  );

  api.get(
    "/live-codes/:id/stats.csv",
    {
      config: { permission: "channels.read", resource },
      schema: { tags, params: idParams, querystring: liveCodeStatsQuerySchema },
    },
    async (req, reply) => {
      const { row, stats } = await req.inTenant(async (s) => ({
        row: await liveCodeRow(s, req.params.id),
        stats: await liveCodeStats(s, req.params.id, req.query),
      }));
      return reply
        .type("text/csv; charset=utf-8")
        .header(
          "content-disposition",
          `attachment; filename="live-code-${row.id}-${stats.from}-${stats.to}.csv"`,
        )
        .send(`\uFEFF${statsCsv(stats)}\r\n`);
    },
  );

  channelCodeQrRoute(api, {
    path: "/live-codes",
    tags,
    resource,
    // The landing link, so every scan of a printed code is counted before WeCom's QR is shown.
    target: async (req, id) => {
      const row = await req.inTenant((s) => liveCodeRow(s, id));
      return { text: `${platform.config.publicUrl}/l/${row.link_code}`, filename: `live-code-${row.id}.png` };
    },
  });

  api.get(
    "/live-codes/:id/poster.png",
    {
      config: { permission: "channels.read", resource },
      schema: { tags, params: idParams, querystring: liveCodePosterQuerySchema },
    },
    async (req, reply) => {
      const row = await req.inTenant((s) => liveCodeRow(s, req.params.id));
      const png = await renderPoster({
        template: req.query.template,
        title: req.query.title || row.name,
        subtitle: req.query.subtitle,
        store: req.query.store,
        // Like qr.png: the landing link, so scans of the printed poster are counted.
        url: `${platform.config.publicUrl}/l/${row.link_code}`,
      });
      return reply
        .type("image/png")
        .header("content-disposition", `attachment; filename="live-code-${row.id}-${req.query.template}.png"`)
        .send(png);
    },
  );

  api.get(
    "/live-codes/:id/adds",
    {
      config: { permission: "channels.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: listQuerySchema,
        response: { 200: channelListOf(liveCodeAddSchema) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await liveCodeRow(s, req.params.id);
        return listAdds(s, req.params.id, req.query);
      }),
  );

  api.get(
    "/live-codes/:id/scans",
    {
      config: { permission: "channels.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: listQuerySchema,
        response: { 200: channelListOf(liveCodeScanSchema) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await liveCodeRow(s, req.params.id);
        return listScans(s, req.params.id, req.query);
      }),
  );

  api.get(
    "/live-codes/:id/spend",
    {
      config: { permission: "channels.read", resource },
      schema: {
        tags,
        params: idParams,
        response: { 200: z.object({ items: z.array(liveCodeSpendSchema), nextCursor: z.null() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await liveCodeRow(s, req.params.id);
        return { items: await listSpend(s, req.params.id), nextCursor: null };
      }),
  );

  api.post(
    "/live-codes/:id/spend",
    {
      config: { permission: "channels.manage", resource },
      schema: {
        tags,
        params: idParams,
        body: liveCodeSpendCreateSchema,
        response: { 201: liveCodeSpendSchema },
      },
    },
    async (req, reply) =>
      reply.status(201).send(
        await req.inTenant(async (s) => {
          await liveCodeRow(s, req.params.id);
          return addSpend(s, caller(req), req.params.id, req.body);
        }),
      ),
  );
}
