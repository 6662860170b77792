import { z } from "zod";
import type { Api, Platform } from "../../platform/platform.ts";

const tenantSettings = z.object({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  cipher: z.enum(["aes-256-gcm", "sm4"]),
});

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function settingsRoutes(api: Api, platform: Platform) {
  api.get(
    "/settings/tenant",
    {
      config: { permission: "settings.read" },
      schema: { tags: ["settings"], response: { 200: tenantSettings } },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const [t] = await s.query<z.infer<typeof tenantSettings>>(
          "select id, name, timezone, cipher from tenants where id = $1",
          [s.tenantId],
        );
        return t!;
      }),
  );

  api.put(
    "/settings/tenant",
    {
      config: { permission: "settings.manage" },
      schema: {
        tags: ["settings"],
        body: z.strictObject({
          name: z.string().trim().min(1).max(100).optional(),
          timezone: z.string().max(64).refine(validTimeZone, "unknown IANA time zone").optional(),
          cipher: z.enum(["aes-256-gcm", "sm4"]).optional(),
        }),
        response: { 200: tenantSettings },
      },
    },
    async (req) =>
      req.inTenant(async (s) => {
        const [before] = await s.query<z.infer<typeof tenantSettings>>(
          "select id, name, timezone, cipher from tenants where id = $1",
          [s.tenantId],
        );
        const [after] = await s.query<z.infer<typeof tenantSettings>>(
          `update tenants set name = coalesce($2, name), timezone = coalesce($3, timezone), cipher = coalesce($4, cipher),
             updated_at = now() where id = $1 returning id, name, timezone, cipher`,
          [s.tenantId, req.body.name ?? null, req.body.timezone ?? null, req.body.cipher ?? null],
        );
        await platform.audit.record(s, req.actor(), {
          action: "settings.tenant_changed",
          targetType: "tenant",
          targetId: s.tenantId ?? undefined,
          data: { before, after },
        });
        return after!;
      }),
  );
}
