import { z } from "zod";
import { AppError, notFound } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { loadFieldDefs, standardFields } from "../fields.ts";

const fieldSchema = z.object({
  id: z.string(),
  key: z.string(),
  label: z.string(),
  type: z.enum(["text", "number", "boolean", "date", "select", "multiselect"]),
  options: z.array(z.string()),
  standard: z.boolean(),
});

export function fieldsRoutes(api: Api, platform: Platform) {
  api.get(
    "/custom-fields",
    {
      config: { permission: "customers.read" },
      schema: {
        tags: ["customers"],
        response: { 200: z.object({ items: z.array(fieldSchema), nextCursor: z.null() }) },
      },
    },
    async (req) => ({ items: [...(await req.inTenant((s) => loadFieldDefs(s))).values()], nextCursor: null }),
  );

  api.post(
    "/custom-fields",
    {
      config: { permission: "settings.manage" },
      schema: {
        tags: ["customers"],
        body: z.strictObject({
          key: z
            .string()
            .regex(
              /^[a-z][a-z0-9_]{0,49}$/,
              "keys are lower-case letters, digits and _, starting with a letter",
            ),
          label: z.string().trim().min(1).max(50),
          type: z.enum(["text", "number", "boolean", "date", "select", "multiselect"]),
          options: z.array(z.string().trim().min(1).max(50)).max(100).optional(),
        }),
        response: { 201: fieldSchema },
      },
    },
    async (req, reply) => {
      const field = await req.inTenant(async (s) => {
        if (standardFields.some((f) => f.key === req.body.key))
          throw new AppError("conflict", "this is a standard attribute");
        if ((await s.query("select 1 from custom_fields where key = $1", [req.body.key])).length) {
          throw new AppError("conflict", "a custom field with this key exists");
        }
        if ((req.body.type === "select" || req.body.type === "multiselect") && !req.body.options?.length) {
          throw new AppError("validation_failed", "select fields need options", { field: "options" });
        }
        const id = newId("fld");
        const options = req.body.options ?? [];
        await s.query(
          "insert into custom_fields (id, tenant_id, key, label, type, options) values ($1, $2, $3, $4, $5, $6)",
          [id, s.tenantId, req.body.key, req.body.label, req.body.type, JSON.stringify(options)],
        );
        await platform.audit.record(s, req.actor(), {
          action: "custom_field.created",
          targetType: "custom_field",
          targetId: id,
          data: { key: req.body.key },
        });
        return {
          id,
          key: req.body.key,
          label: req.body.label,
          type: req.body.type,
          options,
          standard: false,
        };
      });
      return reply.status(201).send(field);
    },
  );

  api.patch(
    "/custom-fields/:id",
    {
      config: { permission: "settings.manage", resource: "custom_field" },
      schema: {
        tags: ["customers"],
        params: z.object({ id: z.string().max(100) }),
        // The key and type stay: stored values refer to the key and were checked against the type.
        body: z.strictObject({
          label: z.string().trim().min(1).max(50).optional(),
          options: z.array(z.string().trim().min(1).max(50)).max(100).optional(),
        }),
        response: { 200: fieldSchema },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const rows = await s.query<{ id: string }>(
          "update custom_fields set label = coalesce($2, label), options = coalesce($3, options) where id = $1 returning id",
          [req.params.id, req.body.label ?? null, req.body.options ? JSON.stringify(req.body.options) : null],
        );
        if (!rows.length) throw notFound("custom field");
        const defs = await loadFieldDefs(s);
        return [...defs.values()].find((d) => d.id === req.params.id)!;
      }),
  );
}

const customerSettings = z.object({ mergeAttributes: z.enum(["newest", "keep_both"]) });

/** Customer-hub settings of the tenant (kept in `tenants.settings.customers`). */
export function customerSettingsRoutes(api: Api, platform: Platform) {
  api.get(
    "/settings/customers",
    {
      config: { permission: "settings.read" },
      schema: { tags: ["settings"], response: { 200: customerSettings } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const [row] = await s.query<{ rule: string | null }>(
          "select settings->'customers'->>'mergeAttributes' as rule from tenants where id = $1",
          [s.tenantId],
        );
        return { mergeAttributes: row?.rule === "keep_both" ? ("keep_both" as const) : ("newest" as const) };
      }),
  );

  api.put(
    "/settings/customers",
    {
      config: { permission: "settings.manage" },
      schema: { tags: ["settings"], body: customerSettings.strict(), response: { 200: customerSettings } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        await s.query(
          `update tenants set settings = jsonb_set(settings, '{customers}', coalesce(settings->'customers', '{}') || $2::jsonb),
             updated_at = now() where id = $1`,
          [s.tenantId, JSON.stringify(req.body)],
        );
        await platform.audit.record(s, req.actor(), {
          action: "settings.customers_changed",
          targetType: "tenant",
          targetId: s.tenantId ?? undefined,
          data: req.body,
        });
        return req.body;
      }),
  );
}
