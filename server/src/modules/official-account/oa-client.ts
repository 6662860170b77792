import { createOaClient, type OaClient, oaDefaultLimits } from "../../connectors/official-account/index.ts";
import { AppError } from "../../platform/errors.ts";
import type { Platform } from "../../platform/platform.ts";
import { loadOaSettings, type OaAccountSettings } from "./settings.service.ts";

/**
 * One client per (apiBase, appId, secret): the token cache, breaker and limits outlive a job, and a
 * settings change makes a new key. The stable-token endpoint keeps processes of a cluster from
 * invalidating each other's tokens.
 */
const clients = new Map<string, OaClient>();

export function oaClient(platform: Platform, s: OaAccountSettings): OaClient {
  const key = `${s.apiBase}\u0000${s.appId}\u0000${s.secret}`;
  let client = clients.get(key);
  if (!client) {
    client = createOaClient({
      apiBase: s.apiBase,
      appId: s.appId,
      secret: s.secret,
      log: platform.log,
      limiter: platform.limits,
      limits: oaDefaultLimits,
    });
    clients.set(key, client);
  }
  return client;
}

/** Settings read in their own short transaction (never hold one open over HTTP). */
export async function requireOaSettings(platform: Platform, tenantId: string): Promise<OaAccountSettings> {
  const s = await platform.db.tenant(tenantId, (scope) => loadOaSettings(scope, platform));
  if (!s) throw new AppError("oa_not_configured", "the Official Account is not configured for this tenant");
  return s;
}
