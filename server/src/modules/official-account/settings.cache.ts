import { OaCallbackVerifier } from "../../connectors/official-account/index.ts";
import { createTenantCache } from "../../platform/cache/tenant-cache.ts";
import type { Platform } from "../../platform/platform.ts";
import { loadOaSettings, type OaAccountSettings } from "./settings.service.ts";

/** A tenant's settings with their ready-made verifier, as the callback route needs them. */
export interface OaCallbackSettings {
  settings: OaAccountSettings;
  verifier: OaCallbackVerifier;
}

/**
 * Every callback needs its tenant's token, key and mode; as for WeCom, each process keeps them
 * briefly (platform/cache/tenant-cache.ts) instead of a transaction and decryption per callback. A
 * save in this process drops the entry; the route re-reads once on a signature or appid mismatch.
 */
const cache = createTenantCache<OaCallbackSettings, Platform>({
  load: async (platform, tenantId) => {
    const settings = await platform.db.tenant(tenantId, (scope) => loadOaSettings(scope, platform));
    return settings
      ? {
          settings,
          verifier: new OaCallbackVerifier({
            appId: settings.appId,
            token: settings.token,
            encodingAesKey: settings.encodingAesKey,
            mode: settings.mode,
          }),
        }
      : null;
  },
});

export function oaCallbackSettings(
  platform: Platform,
  tenantId: string,
  options: { fresh?: boolean } = {},
): Promise<OaCallbackSettings | null> {
  return cache.get(platform, tenantId, options);
}

export function oaCallbackSettingsAge(tenantId: string): number {
  return cache.age(tenantId);
}

export function forgetOaCallbackSettings(tenantId: string): void {
  cache.forget(tenantId);
}
