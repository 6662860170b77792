import type { Platform } from "../../../platform/platform.ts";
import {
  getOaSandbox,
  getWecomSandbox,
  type oaSim,
  wireOaSandboxTenant,
  wireSandboxTenant,
} from "../../../sandbox/index.ts";
import { demoTenantId } from "../../iam/index.ts";
import { startOaSync } from "../jobs/sync.job.ts";
import { forgetOaCallbackSettings } from "../settings.cache.ts";
import { loadOaSettings, saveOaSettings } from "../settings.service.ts";

/** Demo followers who are also WeCom contacts of the demo corp (same unionid: one person). */
export const demoSharedFollowers = 12;
/** Demo followers only the Official Account knows (half of them with a unionid). */
export const demoOaOnlyFollowers = 18;

/**
 * Gives the simulated account a life: followers, some of them the WeCom demo corp's contacts by
 * unionid (the WeCom demo is seeded first: modules boot in order), a default menu. Runs once per
 * account (its followers mark it) and sends no callbacks: they followed before Siyu was connected.
 */
export function seedDemoAccount(platform: Platform, account: oaSim.OaAccount, tenantId: string): boolean {
  const sandbox = getOaSandbox(platform);
  if (!sandbox || account.followers.size > 0) return false;
  let unionids: string[] = [];
  const wecom = getWecomSandbox(platform);
  if (wecom) {
    const corp = wecom.corp(wireSandboxTenant(platform, tenantId).corpId);
    unionids = [...(corp?.contacts.values() ?? [])]
      .map((c) => c.unionid)
      .filter((u): u is string => !!u)
      .slice(0, demoSharedFollowers);
  }
  if (unionids.length) sandbox.seedFollowers(account, { count: unionids.length, unionids });
  sandbox.seedFollowers(account, { count: demoOaOnlyFollowers, unionidShare: 0.5 });
  account.menu = [
    { type: "click", name: "会员中心", key: "MEMBER_CENTER", sub_button: [] },
    {
      name: "门店服务",
      sub_button: [
        { type: "click", name: "预约到店", key: "BOOK_VISIT", sub_button: [] },
        { type: "view", name: "附近门店", url: "https://example.com/stores", sub_button: [] },
      ],
    },
  ];
  sandbox.changed(account);
  return true;
}

/**
 * Wires the demo tenant to the in-app Official Account simulator in safe mode: stores the settings
 * when they differ (unless an owner pointed the tenant at another apiBase), seeds the account once
 * and starts a first follower sync once. Safe on every start.
 */
export async function wireOaDemoTenant(
  platform: Platform,
  options: { syncDelayMs?: number } = {},
): Promise<{ tenantId: string; seeded: boolean; settingsSaved: boolean; syncStarted: boolean } | null> {
  const sandbox = getOaSandbox(platform);
  if (!sandbox) return null;
  const tenantId = await demoTenantId(platform.db);
  if (!tenantId) return null;
  const wired = wireOaSandboxTenant(platform, tenantId, "safe");
  const account = sandbox.account(wired.appId);
  if (!account) return null;
  const seeded = seedDemoAccount(platform, account, tenantId);
  const { settingsSaved, needsSync } = await platform.db.tenant(tenantId, async (s) => {
    await s.query("select pg_advisory_xact_lock(hashtext($1))", [`oa-demo:${tenantId}`]);
    const stored = await loadOaSettings(s, platform);
    if (stored && stored.apiBase !== wired.apiBase) return { settingsSaved: false, needsSync: false };
    let saved = false;
    const same =
      stored &&
      stored.appId === wired.appId &&
      stored.secret === wired.secret &&
      stored.token === wired.token &&
      stored.encodingAesKey === wired.encodingAesKey &&
      stored.mode === wired.mode;
    if (!same) {
      await saveOaSettings(s, platform, { email: "system" }, wired);
      saved = true;
    }
    const [run] = await s.query(
      "select 1 from oa_sync_runs where status in ('queued', 'running', 'completed') and app_id = $1 limit 1",
      [wired.appId],
    );
    return { settingsSaved: saved, needsSync: !run || stored?.appId !== wired.appId };
  });
  if (settingsSaved) forgetOaCallbackSettings(tenantId);
  let syncStarted = false;
  if (needsSync) {
    // After the WeCom demo's first sync (2 s): the shared people then merge by unionid either way.
    await startOaSync(platform, tenantId, null, { delayMs: options.syncDelayMs ?? 4000 });
    syncStarted = true;
  }
  platform.log.info(
    { tenantId, appId: wired.appId, seeded, settingsSaved, syncStarted },
    "demo tenant wired to the Official Account sandbox",
  );
  return { tenantId, seeded, settingsSaved, syncStarted };
}
