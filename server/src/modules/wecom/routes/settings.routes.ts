import { wecomSettingsInputSchema, wecomSettingsSchema } from "@siyu/contracts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { forgetCallbackSettings } from "../settings.cache.ts";
import { loadWecomSettings, saveWecomSettings, wecomSettingsDto } from "../settings.service.ts";

/** `GET|PUT /api/settings/wecom` (CONTRACT.md "WeCom"): secrets go in, only masks come out. */
export function wecomSettingsRoutes(api: Api, platform: Platform) {
  api.get(
    "/settings/wecom",
    {
      config: { permission: "settings.manage" },
      schema: { tags: ["wecom"], response: { 200: wecomSettingsSchema } },
    },
    async (req) => {
      const tenantId = req.caller().tenantId;
      const settings = await req.inTenant((s) => loadWecomSettings(s, platform));
      return wecomSettingsDto(platform, tenantId, settings);
    },
  );

  api.put(
    "/settings/wecom",
    {
      config: { permission: "settings.manage" },
      schema: { tags: ["wecom"], body: wecomSettingsInputSchema, response: { 200: wecomSettingsSchema } },
    },
    async (req) => {
      const tenantId = req.caller().tenantId;
      const settings = await req.inTenant(async (s) => {
        await saveWecomSettings(s, platform, req.actor(), req.body);
        return loadWecomSettings(s, platform);
      });
      forgetCallbackSettings(tenantId);
      return wecomSettingsDto(platform, tenantId, settings);
    },
  );
}
