import {
  couponGrantSchema,
  flowStagesQuerySchema,
  flowStagesSchema,
  flowTemplateInstalledSchema,
  flowTemplateInstallSchema,
  flowTemplateSchema,
} from "@siyu/contracts";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { assertVisible } from "../../customers/index.ts";
import { flowStages } from "../../flows/index.ts";
import { listCouponGrants, redeemCouponGrant } from "../ops/coupons.ts";
import { getTemplate, installCounts, installTemplate, listTemplates } from "../ops/install-template.ts";

const keyParams = z.object({ key: z.string().min(1).max(100) });
const idParams = z.object({ id: z.string().min(1).max(100) });
const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/**
 * `/api/flow-templates` (the template library: SOPs and industry processes that install as draft
 * flows), `/api/flows/:id/stages` (lifecycle-stage mix of a flow's customers), and the placeholder
 * coupon ledger (`/api/customers/:id/coupon-grants`, `/api/coupon-grants/:id/redeem`).
 */
export function sopRoutes(api: Api, platform: Platform) {
  api.get(
    "/flow-templates",
    {
      config: { permission: "flows.read" },
      schema: { tags: ["flows"], response: { 200: listOf(flowTemplateSchema) } },
    },
    async (req) => {
      const counts = await req.inTenant((s) => installCounts(s));
      return {
        items: listTemplates().map((t) => ({
          ...t,
          installs: counts.get(t.key)?.installs ?? 0,
          lastFlowId: counts.get(t.key)?.lastFlowId ?? null,
        })),
        nextCursor: null,
      };
    },
  );

  api.get(
    "/flow-templates/:key",
    {
      config: { permission: "flows.read" },
      schema: { tags: ["flows"], params: keyParams, response: { 200: flowTemplateSchema } },
    },
    async (req) => getTemplate(req.params.key),
  );

  api.post(
    "/flow-templates/:key/install",
    {
      config: { permission: "flows.manage" },
      schema: {
        tags: ["flows"],
        params: keyParams,
        body: flowTemplateInstallSchema,
        response: { 201: flowTemplateInstalledSchema },
      },
    },
    async (req, reply) => {
      getTemplate(req.params.key);
      const installed = await req.inTenant((s) =>
        installTemplate(s, { platform, actor: req.actor(), audit: platform.audit }, req.params.key, {
          name: req.body?.name,
        }),
      );
      return reply.status(201).send(installed);
    },
  );

  api.get(
    "/flows/:id/stages",
    {
      config: { permission: "flows.read", resource: "flow" },
      schema: {
        tags: ["flows"],
        params: idParams,
        querystring: flowStagesQuerySchema,
        response: { 200: flowStagesSchema },
      },
    },
    async (req) => req.inTenant((s) => flowStages(s, req.params.id, req.query.status)),
  );

  api.get(
    "/customers/:id/coupon-grants",
    {
      config: { permission: "customers.read", resource: "customer" },
      schema: { tags: ["customers"], params: idParams, response: { 200: listOf(couponGrantSchema) } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        return { items: await listCouponGrants(s, req.params.id), nextCursor: null };
      }),
  );

  api.post(
    "/coupon-grants/:id/redeem",
    {
      config: { permission: "customers.write", resource: "coupon_grant" },
      schema: { tags: ["customers"], params: idParams, response: { 200: couponGrantSchema } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const grant = await redeemCouponGrant(s, platform, platform.audit, req.actor(), req.params.id);
        // A grant of a customer the caller cannot see is answered as missing (rolled back).
        await assertVisible(s, req.caller(), grant.customerId);
        return grant;
      }),
  );
}
