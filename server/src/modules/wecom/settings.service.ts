import { type WecomSettingsDto, wecomDefaultApiBase } from "@siyu/contracts";
import type { Actor } from "../../platform/audit/audit.ts";
import { readTenantCipher } from "../../platform/crypto/index.ts";
import type { Scope } from "../../platform/db/index.ts";
import type { Platform } from "../../platform/platform.ts";

/** The tenant's WeCom corp, decrypted: only ever held in memory. */
export interface WecomCorpSettings {
  tenantId: string;
  corpId: string;
  agentId: string;
  secret: string;
  contactSecret: string;
  callbackToken: string;
  encodingAesKey: string;
  apiBase: string;
  updatedAt: Date;
}

export interface SaveWecomSettings {
  corpId: string;
  agentId: string;
  secret: string;
  contactSecret: string;
  callbackToken: string;
  encodingAesKey: string;
  apiBase?: string | undefined;
}

interface SettingsRow {
  tenant_id: string;
  corp_id: string;
  agent_id: string;
  secret_enc: string;
  contact_secret_enc: string;
  callback_token_enc: string;
  encoding_aes_key_enc: string;
  api_base: string;
  updated_at: Date;
}

/** The encrypted columns, registered with platform crypto so key rotation re-encrypts them. */
export const encryptedSettingColumns = [
  "secret_enc",
  "contact_secret_enc",
  "callback_token_enc",
  "encoding_aes_key_enc",
] as const;

export async function saveWecomSettings(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: SaveWecomSettings,
): Promise<void> {
  const cipher = await readTenantCipher(scope);
  const enc = (v: string) => platform.crypto.encrypt(v, { cipher });
  const apiBase = (input.apiBase ?? wecomDefaultApiBase).replace(/\/+$/, "");
  const [before] = await scope.query<{ corp_id: string }>("select corp_id from wecom_settings for update");
  await scope.query(
    `insert into wecom_settings (tenant_id, corp_id, agent_id, secret_enc, contact_secret_enc, callback_token_enc,
       encoding_aes_key_enc, api_base)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (tenant_id) do update set corp_id = excluded.corp_id, agent_id = excluded.agent_id,
       secret_enc = excluded.secret_enc, contact_secret_enc = excluded.contact_secret_enc,
       callback_token_enc = excluded.callback_token_enc, encoding_aes_key_enc = excluded.encoding_aes_key_enc,
       api_base = excluded.api_base, updated_at = now()`,
    [
      scope.tenantId,
      input.corpId,
      input.agentId,
      enc(input.secret),
      enc(input.contactSecret),
      enc(input.callbackToken),
      enc(input.encodingAesKey),
      apiBase,
    ],
  );
  // The audit row names what changed, never a secret.
  await platform.audit.record(scope, actor, {
    action: before ? "wecom.settings_updated" : "wecom.settings_created",
    targetType: "wecom_settings",
    targetId: input.corpId,
    data: { corpId: input.corpId, agentId: input.agentId, apiBase, previousCorpId: before?.corp_id ?? null },
  });
}

/** The decrypted settings of the scope's tenant, or null when WeCom is not configured. */
export async function loadWecomSettings(scope: Scope, platform: Platform): Promise<WecomCorpSettings | null> {
  const [row] = await scope.query<SettingsRow>("select * from wecom_settings");
  if (!row) return null;
  const dec = (v: string) => platform.crypto.decrypt(v);
  return {
    tenantId: row.tenant_id,
    corpId: row.corp_id,
    agentId: row.agent_id,
    secret: dec(row.secret_enc),
    contactSecret: dec(row.contact_secret_enc),
    callbackToken: dec(row.callback_token_enc),
    encodingAesKey: dec(row.encoding_aes_key_enc),
    apiBase: row.api_base,
    updatedAt: row.updated_at,
  };
}

/** Shows the first and last two characters of a secret; shorter ones are fully hidden. */
export function maskSecret(value: string): string {
  if (value.length <= 6) return "****";
  return `${value.slice(0, 2)}****${value.slice(-2)}`;
}

export function callbackUrl(platform: Platform, tenantId: string): string {
  return `${platform.config.publicUrl}/callbacks/wecom/${encodeURIComponent(tenantId)}`;
}

export function wecomSettingsDto(
  platform: Platform,
  tenantId: string,
  s: WecomCorpSettings | null,
): WecomSettingsDto {
  return {
    configured: s !== null,
    corpId: s?.corpId ?? null,
    agentId: s?.agentId ?? null,
    secret: s ? maskSecret(s.secret) : null,
    contactSecret: s ? maskSecret(s.contactSecret) : null,
    callbackToken: s ? maskSecret(s.callbackToken) : null,
    encodingAesKey: s ? maskSecret(s.encodingAesKey) : null,
    apiBase: s?.apiBase ?? wecomDefaultApiBase,
    callbackUrl: callbackUrl(platform, tenantId),
    updatedAt: s?.updatedAt.toISOString() ?? null,
  };
}
