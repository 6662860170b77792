import { oaSettingsInputSchema, oaSettingsSchema } from "@siyu/contracts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { forgetOaCallbackSettings } from "../settings.cache.ts";
import { loadOaSettings, oaSettingsDto, saveOaSettings } from "../settings.service.ts";

/** `GET|PUT /api/settings/official-account` (CONTRACT.md "Official Account"): secrets in, masks out. */
export function oaSettingsRoutes(api: Api, platform: Platform) {
  api.get(
    "/settings/official-account",
    {
      config: { permission: "settings.manage" },
      schema: { tags: ["official-account"], response: { 200: oaSettingsSchema } },
    },
    async (req) => {
      const tenantId = req.caller().tenantId;
      const settings = await req.inTenant((s) => loadOaSettings(s, platform));
      return oaSettingsDto(platform, tenantId, settings);
    },
  );

  api.put(
    "/settings/official-account",
    {
      config: { permission: "settings.manage" },
      schema: {
        tags: ["official-account"],
        body: oaSettingsInputSchema,
        response: { 200: oaSettingsSchema },
      },
    },
    async (req) => {
      const tenantId = req.caller().tenantId;
      const settings = await req.inTenant(async (s) => {
        await saveOaSettings(s, platform, req.actor(), req.body);
        return loadOaSettings(s, platform);
      });
      forgetOaCallbackSettings(tenantId);
      return oaSettingsDto(platform, tenantId, settings);
    },
  );
}
