import { customerSchema, listQuerySchema } from "@siyu/contracts";
import { z } from "zod";
import { AppError, notFound } from "../../../platform/errors.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { assertVisible, toDtos } from "../customers.service.ts";
import { mergeCustomers, undoMerge } from "../merge.service.ts";
import type { CustomerRow } from "../model.ts";
import { customerColumns } from "../model.ts";
import { writerOf } from "./customers.routes.ts";

const idParams = z.object({ id: z.string().min(1).max(100) });
const candidateSchema = z.object({
  id: z.string(),
  customers: z.array(customerSchema),
  reason: z.string(),
  score: z.number(),
  status: z.enum(["open", "accepted", "rejected"]),
  createdAt: z.string(),
});
const mergeSchema = z.object({
  id: z.string(),
  targetId: z.string(),
  sourceId: z.string(),
  reason: z.string(),
  at: z.string(),
  undoneAt: z.string().nullable(),
});

export function mergeRoutes(api: Api, platform: Platform) {
  api.post(
    "/customers/:id/merge",
    {
      config: { permission: "customers.write", resource: "customer" },
      schema: {
        tags: ["customers"],
        params: idParams,
        body: z.strictObject({ sourceId: z.string().min(1).max(100) }),
        response: { 200: customerSchema.extend({ mergeId: z.string() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await assertVisible(s, req.caller(), req.params.id);
        await assertVisible(s, req.caller(), req.body.sourceId);
        const { mergeId } = await mergeCustomers(s, writerOf(req, platform), {
          targetId: req.params.id,
          sourceId: req.body.sourceId,
          reason: "manual",
        });
        const row = await assertVisible(s, req.caller(), req.params.id);
        const [dto] = await toDtos(s, platform, [row], req.caller().permissions);
        return { ...dto!, mergeId };
      }),
  );

  api.get(
    "/merges",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["customers"],
        querystring: listQuerySchema.extend({ customerId: z.string().max(100).optional() }),
        response: { 200: z.object({ items: z.array(mergeSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const rows = await s.query<{
          id: string;
          target_id: string;
          source_id: string;
          reason: string;
          at: Date;
          undone_at: Date | null;
        }>(
          `select id, target_id, source_id, reason, at, undone_at from customer_merges
            where ($2::text is null or target_id = $2 or source_id = $2) and ($3::text is null or id < $3)
            order by id desc limit $1`,
          [req.query.limit + 1, req.query.customerId ?? null, req.query.cursor ?? null],
        );
        const items = rows.slice(0, req.query.limit).map((r) => ({
          id: r.id,
          targetId: r.target_id,
          sourceId: r.source_id,
          reason: r.reason,
          at: r.at.toISOString(),
          undoneAt: r.undone_at?.toISOString() ?? null,
        }));
        return { items, nextCursor: rows.length > req.query.limit ? (items.at(-1)?.id ?? null) : null };
      }),
  );

  api.post(
    "/merges/:id/undo",
    {
      config: { permission: "customers.write", resource: "merge" },
      schema: { tags: ["customers"], params: idParams, response: { 200: z.object({ ok: z.literal(true) }) } },
    },
    async (req) => {
      await req.inTenant((s) => undoMerge(s, writerOf(req, platform), req.params.id));
      return { ok: true as const };
    },
  );

  api.get(
    "/merge-candidates",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["customers"],
        querystring: listQuerySchema.extend({
          status: z.enum(["open", "accepted", "rejected"]).default("open"),
        }),
        response: { 200: z.object({ items: z.array(candidateSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const rows = await s.query<{
          id: string;
          customer_a: string;
          customer_b: string;
          reason: string;
          score: number;
          status: "open";
          created_at: Date;
        }>(
          `select id, customer_a, customer_b, reason, score, status, created_at from merge_candidates
            where status = $2 and ($3::text is null or id < $3) order by id desc limit $1`,
          [req.query.limit + 1, req.query.status, req.query.cursor ?? null],
        );
        const page = rows.slice(0, req.query.limit);
        const ids = page.flatMap((r) => [r.customer_a, r.customer_b]);
        const customers = await s.query<CustomerRow>(
          `select ${customerColumns} from customers where id = any($1::text[])`,
          [ids],
        );
        const dtos = new Map(
          (await toDtos(s, platform, customers, req.caller().permissions)).map((d) => [d.id, d]),
        );
        const items = page.map((r) => ({
          id: r.id,
          customers: [dtos.get(r.customer_a), dtos.get(r.customer_b)].filter((d) => d !== undefined),
          reason: r.reason,
          score: r.score,
          status: r.status,
          createdAt: r.created_at.toISOString(),
        }));
        return { items, nextCursor: rows.length > req.query.limit ? (items.at(-1)?.id ?? null) : null };
      }),
  );

  for (const decision of ["accept", "reject"] as const) {
    api.post(
      `/merge-candidates/:id/${decision}`,
      {
        config: { permission: "customers.write", resource: "merge_candidate" },
        schema: {
          tags: ["customers"],
          params: idParams,
          response: { 200: z.object({ ok: z.literal(true), mergeId: z.string().nullable() }) },
        },
      },
      async (req) =>
        req.inTenant(async (s) => {
          const [c] = await s.query<{
            customer_a: string;
            customer_b: string;
            status: string;
            a_created: Date;
            b_created: Date;
          }>(
            `select m.customer_a, m.customer_b, m.status, a.created_at as a_created, b.created_at as b_created
               from merge_candidates m join customers a on a.id = m.customer_a join customers b on b.id = m.customer_b
              where m.id = $1 for update of m`,
            [req.params.id],
          );
          if (!c) throw notFound("merge candidate");
          if (c.status !== "open") throw new AppError("conflict", `this suggestion was already ${c.status}`);
          let mergeId: string | null = null;
          if (decision === "accept") {
            // The older profile survives.
            const [target, source] =
              c.a_created <= c.b_created ? [c.customer_a, c.customer_b] : [c.customer_b, c.customer_a];
            mergeId = (
              await mergeCustomers(s, writerOf(req, platform), {
                targetId: target,
                sourceId: source,
                reason: "review",
              })
            ).mergeId;
          }
          await s.query(
            "update merge_candidates set status = $2, decided_at = now(), decided_by = $3 where id = $1",
            [req.params.id, decision === "accept" ? "accepted" : "rejected", req.caller().userId],
          );
          return { ok: true as const, mergeId };
        }),
    );
  }
}
