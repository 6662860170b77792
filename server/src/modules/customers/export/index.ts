import { Readable } from "node:stream";
import { z } from "zod";
import type { Api, Platform } from "../../../platform/platform.ts";
import { toDtos } from "../customers.service.ts";
import { loadFieldDefs } from "../fields.ts";
import { listCustomers } from "../list.ts";
import { segmentWhere } from "../segments/index.ts";
import { csvRows, utf8Bom } from "./csv.ts";

const pageSize = 1000;

export function exportRoutes(api: Api, platform: Platform) {
  api.get(
    "/customers/export.csv",
    {
      config: { permission: "customers.export" },
      schema: {
        tags: ["customers"],
        description:
          "CSV (UTF-8 with BOM) of the customers matching the list filters; phones masked unless the caller has customers.phone.full. Audited.",
        querystring: z.object({
          tag: z.union([z.string().max(50), z.array(z.string().max(50)).max(20)]).optional(),
          q: z.string().trim().max(100).optional(),
          segment: z.string().max(100).optional(),
          owner: z.string().max(100).optional(),
        }),
      },
    },
    async (req, reply) => {
      const auth = req.caller();
      const actor = req.actor();
      const { q, segment, owner } = req.query;
      const tags = req.query.tag === undefined ? [] : [req.query.tag].flat();
      const defs = [...(await req.inTenant((s) => loadFieldDefs(s))).values()];
      if (segment) {
        // Unknown segment → 404 before any byte is sent.
        await req.inTenant((s) => segmentWhere(s, segment, { alias: "c", firstParam: 1 }));
      }
      const header = [
        "id",
        "name",
        "phone",
        "email",
        "tags",
        "identities",
        "lifecycle_stage",
        "source",
        "created_at",
        "updated_at",
        ...defs.map((d) => `attr.${d.key}`),
      ];
      async function* lines() {
        let count = 0;
        try {
          yield utf8Bom + csvRows([header]);
          let cursor: string | undefined;
          for (;;) {
            const chunk = await platform.db.tenant(auth.tenantId, async (s) => {
              const page = await listCustomers(s, platform, auth, {
                tags,
                ...(q ? { q } : {}),
                ...(owner ? { owner } : {}),
                limit: pageSize,
                ...(cursor ? { cursor } : {}),
                ...(segment
                  ? {
                      extra: async (params: unknown[]) => {
                        const w = await segmentWhere(s, segment, {
                          alias: "c",
                          firstParam: params.length + 1,
                        });
                        params.push(...w.params);
                        return w.sql;
                      },
                    }
                  : {}),
              });
              const dtos = await toDtos(s, platform, page.rows, auth.permissions);
              return { dtos, next: page.nextCursor };
            });
            count += chunk.dtos.length;
            yield csvRows(
              chunk.dtos.map((c) => [
                c.id,
                c.name,
                c.phone ?? "",
                c.email ?? "",
                c.tags.map((t) => t.name).join(","),
                c.identities
                  .filter((i) => i.type !== "phone" && i.type !== "email")
                  .map((i) => `${i.type}:${i.value}`)
                  .join(";"),
                c.lifecycleStage ?? "",
                c.source ?? "",
                c.createdAt,
                c.updatedAt,
                ...defs.map((d) => {
                  const v = c.attributes[d.key];
                  return v === undefined || v === null ? "" : Array.isArray(v) ? v.join(",") : String(v);
                }),
              ]),
            );
            if (!chunk.next) break;
            cursor = chunk.next;
          }
        } finally {
          // One audit row per export, with what was asked for and how many rows left.
          await platform.db.tenant(auth.tenantId, (s) =>
            platform.audit.record(s, actor, {
              action: "customers.exported",
              targetType: "customer",
              data: {
                filter: { tags, q: q ?? null, segment: segment ?? null, owner: owner ?? null },
                rows: count,
                phones: auth.permissions.has("customers.phone.full") ? "full" : "masked",
              },
            }),
          );
        }
      }
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="customers-${day}.csv"`)
        .send(Readable.from(lines()));
    },
  );
}
