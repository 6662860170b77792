import { createWecomClient, type WecomClient, wecomDefaultLimits } from "../../connectors/wecom/index.ts";
import { AppError } from "../../platform/errors.ts";
import type { Platform } from "../../platform/platform.ts";
import { loadWecomSettings, type WecomCorpSettings } from "./settings.service.ts";

/**
 * One client per (corp, secret, apiBase): each secret has its own token, and the client's token cache,
 * breaker and limits must outlive a single job. Settings changes make a new key, so a new client.
 */
const clients = new Map<string, WecomClient>();

export type WecomSecretKind = "contact" | "app";

export function wecomClient(platform: Platform, s: WecomCorpSettings, kind: WecomSecretKind = "contact") {
  const secret = kind === "contact" ? s.contactSecret : s.secret;
  const key = `${s.apiBase}\u0000${s.corpId}\u0000${secret}`;
  let client = clients.get(key);
  if (!client) {
    client = createWecomClient({
      apiBase: s.apiBase,
      corpId: s.corpId,
      secret,
      log: platform.log,
      limiter: platform.limits,
      limits: {
        ...wecomDefaultLimits,
        perApi: { limit: platform.config.wecomApiRatePerMinute, windowMs: 60_000 },
        // The corp-wide budget stays four APIs' worth, as in the defaults.
        perAccount: { limit: platform.config.wecomApiRatePerMinute * 4, windowMs: 60_000 },
      },
    });
    clients.set(key, client);
  }
  return client;
}

/** Settings of a tenant read in their own short transaction (never hold one open over HTTP). */
export async function requireSettings(platform: Platform, tenantId: string): Promise<WecomCorpSettings> {
  const s = await platform.db.tenant(tenantId, (scope) => loadWecomSettings(scope, platform));
  if (!s) throw new AppError("wecom_not_configured", "WeCom is not configured for this tenant");
  return s;
}
