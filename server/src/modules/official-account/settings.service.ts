import { type OaSettingsDto, oaDefaultApiBase } from "@siyu/contracts";
import type { OaMessageMode } from "../../connectors/official-account/index.ts";
import type { Actor } from "../../platform/audit/audit.ts";
import { readTenantCipher } from "../../platform/crypto/index.ts";
import type { Scope } from "../../platform/db/index.ts";
import type { Platform } from "../../platform/platform.ts";
import { enqueueMenuRemoval } from "./jobs/menu-removal.enqueue.ts";
import { switchOaAccount } from "./ops/switch-account.ts";

/** The tenant's Official Account, decrypted: only ever held in memory. */
export interface OaAccountSettings {
  tenantId: string;
  appId: string;
  secret: string;
  token: string;
  encodingAesKey: string | null;
  mode: OaMessageMode;
  apiBase: string;
  originalId: string | null;
  updatedAt: Date;
}

export interface SaveOaSettings {
  appId: string;
  secret: string;
  token: string;
  encodingAesKey?: string | undefined;
  mode: OaMessageMode;
  apiBase?: string | undefined;
}

interface SettingsRow {
  tenant_id: string;
  app_id: string;
  secret_enc: string;
  token_enc: string;
  encoding_aes_key_enc: string | null;
  mode: OaMessageMode;
  api_base: string;
  original_id: string | null;
  updated_at: Date;
}

/** The encrypted columns, registered with platform crypto so key rotation re-encrypts them. */
export const encryptedSettingColumns = ["secret_enc", "token_enc", "encoding_aes_key_enc"] as const;

export async function saveOaSettings(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: SaveOaSettings,
): Promise<void> {
  const cipher = await readTenantCipher(scope);
  const enc = (v: string) => platform.crypto.encrypt(v, { cipher });
  const apiBase = (input.apiBase ?? oaDefaultApiBase).replace(/\/+$/, "");
  const [before] = await scope.query<{ app_id: string; mode: string }>(
    "select app_id, mode from oa_settings for update",
  );
  await scope.query(
    `insert into oa_settings (tenant_id, app_id, secret_enc, token_enc, encoding_aes_key_enc, mode, api_base)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (tenant_id) do update set app_id = excluded.app_id, secret_enc = excluded.secret_enc,
       token_enc = excluded.token_enc, encoding_aes_key_enc = excluded.encoding_aes_key_enc, mode = excluded.mode,
       api_base = excluded.api_base,
       original_id = case when oa_settings.app_id = excluded.app_id then oa_settings.original_id end,
       updated_at = now()`,
    [
      scope.tenantId,
      input.appId,
      enc(input.secret),
      enc(input.token),
      input.encodingAesKey ? enc(input.encodingAesKey) : null,
      input.mode,
      apiBase,
    ],
  );
  // Another account (or the first): rows naming the old account's ids stay its own; menus follow.
  const removeMenus = await switchOaAccount(scope, before?.app_id ?? "", input.appId);
  const tenantId = scope.tenantId as string;
  if (removeMenus.length)
    scope.onCommit(() => {
      for (const id of removeMenus)
        enqueueMenuRemoval(platform, tenantId, id, input.appId).catch((err: unknown) =>
          platform.log.warn({ err, menuId: id }, "OA menu removal enqueue failed; the sweep retries"),
        );
    });
  // The audit row names what changed, never a secret.
  await platform.audit.record(scope, actor, {
    action: before ? "official_account.settings_updated" : "official_account.settings_created",
    targetType: "oa_settings",
    targetId: input.appId,
    data: {
      appId: input.appId,
      mode: input.mode,
      apiBase,
      previousAppId: before?.app_id ?? null,
      previousMode: before?.mode ?? null,
    },
  });
}

/** The decrypted settings of the scope's tenant, or null when no Official Account is configured. */
export async function loadOaSettings(scope: Scope, platform: Platform): Promise<OaAccountSettings | null> {
  const [row] = await scope.query<SettingsRow>("select * from oa_settings");
  if (!row) return null;
  const dec = (v: string) => platform.crypto.decrypt(v);
  return {
    tenantId: row.tenant_id,
    appId: row.app_id,
    secret: dec(row.secret_enc),
    token: dec(row.token_enc),
    encodingAesKey: row.encoding_aes_key_enc ? dec(row.encoding_aes_key_enc) : null,
    mode: row.mode,
    apiBase: row.api_base,
    originalId: row.original_id,
    updatedAt: row.updated_at,
  };
}

/** Shows the first and last two characters of a secret; shorter ones are fully hidden. */
export function maskSecret(value: string): string {
  if (value.length <= 6) return "****";
  return `${value.slice(0, 2)}****${value.slice(-2)}`;
}

export function oaCallbackUrl(platform: Platform, tenantId: string): string {
  return `${platform.config.publicUrl}/callbacks/official-account/${encodeURIComponent(tenantId)}`;
}

export function oaSettingsDto(
  platform: Platform,
  tenantId: string,
  s: OaAccountSettings | null,
): OaSettingsDto {
  return {
    configured: s !== null,
    appId: s?.appId ?? null,
    secret: s ? maskSecret(s.secret) : null,
    token: s ? maskSecret(s.token) : null,
    encodingAesKey: s?.encodingAesKey ? maskSecret(s.encodingAesKey) : null,
    mode: s?.mode ?? null,
    apiBase: s?.apiBase ?? oaDefaultApiBase,
    originalId: s?.originalId ?? null,
    callbackUrl: oaCallbackUrl(platform, tenantId),
    updatedAt: s?.updatedAt.toISOString() ?? null,
  };
}
