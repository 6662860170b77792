import { WxMsgCrypt } from "../../connectors/shared/wx-msg-crypt.ts";
import type { Platform } from "../../platform/platform.ts";
import { loadWecomSettings, type WecomCorpSettings } from "./settings.service.ts";

/** A tenant's settings with their ready-made callback crypt, as the callback route needs them. */
export interface CallbackSettings {
  settings: WecomCorpSettings;
  crypt: WxMsgCrypt;
}

interface Entry {
  value: CallbackSettings | null;
  loadedAt: number;
}

/** How long a process trusts what it read; other processes' saves show up within this. */
const ttlMs = 30_000;
/** An unconfigured tenant is asked again this soon. */
const missingTtlMs = 5_000;

const entries = new Map<string, Entry>();
const loading = new Map<string, Promise<CallbackSettings | null>>();

/**
 * Every callback needs its tenant's token and EncodingAESKey. Reading and decrypting them per request
 * was a database transaction per callback — the largest cost of the ack path — so each process keeps
 * them briefly. A save in this process drops the entry at once; a save elsewhere within `ttlMs`, and
 * the route's `reload` on a signature mismatch covers a token changed meanwhile.
 */
export async function callbackSettings(
  platform: Platform,
  tenantId: string,
  options: { fresh?: boolean } = {},
): Promise<CallbackSettings | null> {
  const entry = entries.get(tenantId);
  const now = Date.now();
  if (entry && !options.fresh && now - entry.loadedAt < (entry.value ? ttlMs : missingTtlMs))
    return entry.value;
  const pending = loading.get(tenantId);
  if (pending) return pending;
  const load = platform.db
    .tenant(tenantId, (scope) => loadWecomSettings(scope, platform))
    .then((settings) => {
      const value = settings
        ? {
            settings,
            crypt: new WxMsgCrypt({
              token: settings.callbackToken,
              encodingAesKey: settings.encodingAesKey,
              receiveId: settings.corpId,
            }),
          }
        : null;
      entries.set(tenantId, { value, loadedAt: Date.now() });
      return value;
    })
    .finally(() => loading.delete(tenantId));
  loading.set(tenantId, load);
  return load;
}

/** Age of what the cache holds for a tenant, in ms (Infinity when nothing). */
export function callbackSettingsAge(tenantId: string): number {
  const entry = entries.get(tenantId);
  return entry ? Date.now() - entry.loadedAt : Number.POSITIVE_INFINITY;
}

export function forgetCallbackSettings(tenantId: string): void {
  entries.delete(tenantId);
}
