import {
  channelAlertSchema,
  channelListOf,
  groupCodeCreateSchema,
  groupCodeSchema,
  groupCodeStatsSchema,
  groupCodeUpdateSchema,
  listQuerySchema,
  liveCodeStatsQuerySchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import {
  createGroupCode,
  deleteGroupCode,
  getGroupCode,
  groupCodeStats,
  listChannelAlerts,
  listGroupCodes,
  updateGroupCode,
} from "../group-codes.service.ts";
import { channelCaller, channelCodeIdParams, channelCodeQrRoute } from "./channel-code.routes.ts";

const idParams = channelCodeIdParams;
const tags = ["live-codes"];
const resource = "group_live_code";

/** `/api/group-live-codes` (群活码, SPEC §3) and the channels alerts. */
export function groupCodeRoutes(api: Api, platform: Platform) {
  const caller = channelCaller(platform);

  api.post(
    "/group-live-codes",
    {
      config: { permission: "channels.manage" },
      schema: { tags, body: groupCodeCreateSchema, response: { 201: groupCodeSchema } },
    },
    async (req, reply) => reply.status(201).send(await createGroupCode(platform, caller(req), req.body)),
  );

  api.get(
    "/group-live-codes",
    {
      config: { permission: "channels.read" },
      schema: { tags, querystring: listQuerySchema, response: { 200: channelListOf(groupCodeSchema) } },
    },
    async (req) => req.inTenant((s) => listGroupCodes(s, platform, req.query)),
  );

  api.get(
    "/group-live-codes/alerts",
    {
      config: { permission: "channels.read" },
      schema: { tags, response: { 200: z.object({ items: z.array(channelAlertSchema) }) } },
    },
    async (req) => ({ items: await req.inTenant((s) => listChannelAlerts(s, req.caller().userId ?? null)) }),
  );

  api.get(
    "/group-live-codes/:id",
    {
      config: { permission: "channels.read", resource },
      schema: { tags, params: idParams, response: { 200: groupCodeSchema } },
    },
    async (req) => req.inTenant((s) => getGroupCode(s, platform, req.params.id)),
  );

  api.patch(
    "/group-live-codes/:id",
    {
      config: { permission: "channels.manage", resource },
      schema: { tags, params: idParams, body: groupCodeUpdateSchema, response: { 200: groupCodeSchema } },
    },
    async (req) => updateGroupCode(platform, caller(req), req.params.id, req.body),
  );

  api.delete(
    "/group-live-codes/:id",
    {
      config: { permission: "channels.manage", resource },
      schema: { tags, params: idParams, response: { 200: groupCodeSchema } },
    },
    async (req) => deleteGroupCode(platform, caller(req), req.params.id),
  );

  api.get(
    "/group-live-codes/:id/stats",
    {
      config: { permission: "channels.read", resource },
      schema: {
        tags,
        params: idParams,
        querystring: liveCodeStatsQuerySchema,
        response: { 200: groupCodeStatsSchema },
      },
    },
    async (req) => req.inTenant((s) => groupCodeStats(s, req.params.id, req.query)),
  );

  channelCodeQrRoute(api, {
    path: "/group-live-codes",
    tags,
    resource,
    target: async (req, id) => {
      const code = await req.inTenant((s) => getGroupCode(s, platform, id));
      return { text: code.landingUrl, filename: `group-live-code-${code.id}.png` };
    },
  });
}
