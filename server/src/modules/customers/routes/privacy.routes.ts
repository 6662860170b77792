import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { assertVisible, toDtos } from "../customers.service.ts";
import { recordCustomerEvent } from "../timeline.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });

/** Personal-information rights (PIPL): a person's data on request, and erasure. */
export function privacyRoutes(api: Api, platform: Platform) {
  api.get(
    "/customers/:id/export",
    {
      config: { permission: "customers.export", resource: "customer" },
      schema: { tags: ["customers"], params: idParams },
    },
    async (req, reply) => {
      const data = await req.inTenant(async (s) => {
        const row = await assertVisible(s, req.caller(), req.params.id);
        // The person's own data, in full: exporting it for them is the point.
        const [profile] = await toDtos(s, platform, [row], new Set(["customers.phone.full"]));
        const merged = await s.query<{ id: string }>("select id from customers where merged_into = $1", [
          row.id,
        ]);
        const timeline = await s.query<{ type: string; at: Date; data: unknown }>(
          "select type, at, data from customer_events where customer_id = $1 order by at, id",
          [row.id],
        );
        await platform.audit.record(s, req.actor(), {
          action: "customer.personal_data_exported",
          targetType: "customer",
          targetId: row.id,
        });
        return {
          exportedAt: new Date().toISOString(),
          profile,
          mergedProfiles: merged.map((m) => m.id),
          timeline: timeline.map((t) => ({ type: t.type, at: t.at.toISOString(), data: t.data })),
        };
      });
      reply.header("content-disposition", `attachment; filename="customer-${req.params.id}.json"`);
      return data;
    },
  );

  api.post(
    "/customers/:id/erase",
    {
      config: { permission: "customers.delete", resource: "customer" },
      schema: {
        tags: ["customers"],
        params: idParams,
        response: { 200: z.object({ ok: z.literal(true), erased: z.number() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const row = await assertVisible(s, req.caller(), req.params.id);
        const ids = [
          row.id,
          ...(await s.query<{ id: string }>("select id from customers where merged_into = $1", [row.id])).map(
            (r) => r.id,
          ),
        ];
        await s.query(
          `update customers set name = '', phone_enc = null, phone_bidx = null, email = null, attributes = '{}',
             erased_at = now(), deleted_at = now(), updated_at = now() where id = any($1::text[])`,
          [ids],
        );
        await s.query("delete from customer_identities where customer_id = any($1::text[])", [ids]);
        await s.query("update customer_events set data = '{}' where customer_id = any($1::text[])", [ids]);
        await s.query(
          "update merge_candidates set status = 'rejected', decided_at = now() where status = 'open' and (customer_a = any($1::text[]) or customer_b = any($1::text[]))",
          [ids],
        );
        // Other modules anonymise what they hold on this event; the audit keeps only that it happened.
        await recordCustomerEvent(s, platform.events, row.id, "customer.erased", { profiles: ids.length });
        await platform.audit.record(s, req.actor(), {
          action: "customer.erased",
          targetType: "customer",
          targetId: row.id,
          data: { profiles: ids.length },
        });
        return { ok: true as const, erased: ids.length };
      }),
  );
}
