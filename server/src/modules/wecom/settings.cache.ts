import { WxMsgCrypt } from "../../connectors/shared/wx-msg-crypt.ts";
import { createTenantCache } from "../../platform/cache/tenant-cache.ts";
import type { Platform } from "../../platform/platform.ts";
import { loadWecomSettings, type WecomCorpSettings } from "./settings.service.ts";

/** A tenant's settings with their ready-made callback crypt, as the callback route needs them. */
export interface CallbackSettings {
  settings: WecomCorpSettings;
  crypt: WxMsgCrypt;
}

/**
 * Every callback needs its tenant's token and EncodingAESKey: each process keeps them briefly
 * (platform/cache/tenant-cache.ts). A save in this process drops the entry at once; a save elsewhere
 * shows within the cache's TTL, and the route's `reload` on a signature mismatch covers a token
 * changed meanwhile.
 */
const cache = createTenantCache<CallbackSettings, Platform>({
  load: async (platform, tenantId) => {
    const settings = await platform.db.tenant(tenantId, (scope) => loadWecomSettings(scope, platform));
    return settings
      ? {
          settings,
          crypt: new WxMsgCrypt({
            token: settings.callbackToken,
            encodingAesKey: settings.encodingAesKey,
            receiveId: settings.corpId,
          }),
        }
      : null;
  },
});

export function callbackSettings(
  platform: Platform,
  tenantId: string,
  options: { fresh?: boolean } = {},
): Promise<CallbackSettings | null> {
  return cache.get(platform, tenantId, options);
}

/** Age of what the cache holds for a tenant, in ms (Infinity when nothing). */
export function callbackSettingsAge(tenantId: string): number {
  return cache.age(tenantId);
}

export function forgetCallbackSettings(tenantId: string): void {
  cache.forget(tenantId);
}
