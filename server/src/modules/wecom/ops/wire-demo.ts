import type { Platform } from "../../../platform/platform.ts";
import {
  type Corp,
  getWecomSandbox,
  type SandboxWecomSettings,
  type WecomSandbox,
  wecomSimActions,
  wireSandboxTenant,
} from "../../../sandbox/index.ts";
import { demoTenantId } from "../../iam/index.ts";
import { startSync } from "../jobs/sync.job.ts";
import { forgetCallbackSettings } from "../settings.cache.ts";
import { loadWecomSettings, saveWecomSettings } from "../settings.service.ts";

/**
 * Demo staff of the simulated corp. Their e-mails are those of the demo tenant's users (iam's demo
 * seed), so the first sync links each member to its login and their customers get an owner.
 */
export const demoMembers = [
  { userid: "wangdianzhang", name: "王店长", position: "店长", email: "manager.demo@siyu.local" },
  // 王店长 is their manager: a customer leaving them alerts the manager's login.
  {
    userid: "lidaogou",
    name: "李导购",
    position: "导购",
    email: "agent.demo@siyu.local",
    directLeader: ["wangdianzhang"],
  },
  {
    userid: "zhangshifu",
    name: "张师傅",
    position: "技师",
    email: "tech.demo@siyu.local",
    directLeader: ["wangdianzhang"],
  },
  {
    userid: "chenkuaiji",
    name: "陈会计",
    position: "会计",
    email: "finance.demo@siyu.local",
    customerContact: false,
  },
] as const;

const demoContacts = 30;

/** Settings are equal when every field the tenant stores is (agentId is text in Siyu). */
function sameSettings(
  a: SandboxWecomSettings,
  b: {
    corpId: string;
    agentId: string;
    secret: string;
    contactSecret: string;
    callbackToken: string;
    encodingAesKey: string;
    apiBase: string;
  },
) {
  return (
    a.corpId === b.corpId &&
    String(a.agentId) === b.agentId &&
    a.secret === b.secret &&
    a.contactSecret === b.contactSecret &&
    a.callbackToken === b.callbackToken &&
    a.encodingAesKey === b.encodingAesKey &&
    a.apiBase === b.apiBase
  );
}

/**
 * Gives the simulated corp the life of a real one: demo staff, ~30 customers with corp tags, two
 * customer groups. It runs once per corp (the demo staff mark it) and emits no callbacks: the corp
 * "had" these before Siyu was connected, and the first full sync brings them in.
 */
export function seedDemoCorp(sandbox: WecomSandbox, corp: Corp): boolean {
  if (corp.members.has(demoMembers[0].userid)) return false;
  const callback = corp.callback;
  corp.callback = undefined;
  try {
    for (const m of demoMembers) {
      if (!corp.members.has(m.userid)) wecomSimActions.addMember(sandbox, corp, { ...m, department: [1] });
    }
    const owners = demoMembers.filter((m) => !("customerContact" in m)).map((m) => m.userid);
    wecomSimActions.seedContacts(sandbox, corp, {
      count: demoContacts,
      userids: owners,
      tagsPerContact: 2,
    });
    wecomSimActions.consoleCreateTags(sandbox, corp, {
      group_name: "兴趣偏好",
      tags: ["护肤", "彩妆", "香氛", "会员日"],
    });
    const customersOf = (userid: string) =>
      (corp.followsByUser.get(userid) ?? []).map((f) => f.external_userid);
    wecomSimActions.createGroup(sandbox, corp, {
      owner: "wangdianzhang",
      name: "华东门店VIP客户群",
      notice: "每周三会员日，到店有礼",
      members: [
        "lidaogou",
        ...customersOf("wangdianzhang").slice(0, 6),
        ...customersOf("lidaogou").slice(0, 3),
      ],
    });
    wecomSimActions.createGroup(sandbox, corp, {
      owner: "lidaogou",
      name: "新品体验官",
      members: customersOf("lidaogou").slice(3, 9),
    });
  } finally {
    corp.callback = callback;
    sandbox.changed(corp);
  }
  return true;
}

/**
 * Wires the demo tenant to the in-app WeCom simulator (API processes with the sandbox on): stores
 * the tenant's WeCom settings when they differ from the corp's (unless an owner pointed the tenant at
 * another apiBase), fills the corp with demo data once, and starts a first full sync once. Safe on
 * every start: a second start changes nothing.
 */
export async function wireDemoTenant(
  platform: Platform,
  options: { syncDelayMs?: number } = {},
): Promise<{ tenantId: string; seeded: boolean; settingsSaved: boolean; syncStarted: boolean } | null> {
  const sandbox = getWecomSandbox(platform);
  if (!sandbox) return null;
  const tenantId = await demoTenantId(platform.db);
  if (!tenantId) return null;
  const wired = wireSandboxTenant(platform, tenantId);
  const corp = sandbox.corp(wired.corpId);
  if (!corp) return null;
  const seeded = seedDemoCorp(sandbox, corp);

  const { settingsSaved, needsSync } = await platform.db.tenant(tenantId, async (s) => {
    // One starter at a time (several API processes may boot together).
    await s.query("select pg_advisory_xact_lock(hashtext($1))", [`wecom-demo:${tenantId}`]);
    const stored = await loadWecomSettings(s, platform);
    let saved = false;
    // An owner who pointed the demo tenant at another WeCom (a real corp) keeps it.
    if (stored && stored.apiBase !== wired.apiBase) return { settingsSaved: false, needsSync: false };
    if (!stored || !sameSettings(wired, stored)) {
      await saveWecomSettings(s, platform, { email: "system" }, { ...wired, agentId: String(wired.agentId) });
      saved = true;
    }
    // A new corp, or no full sync that finished or is still on its way: sync (once).
    const [run] = await s.query(
      "select 1 from wecom_sync_runs where kind = 'all' and status in ('queued', 'running', 'completed') limit 1",
    );
    return { settingsSaved: saved, needsSync: !run || stored?.corpId !== wired.corpId };
  });
  if (settingsSaved) forgetCallbackSettings(tenantId);
  let syncStarted = false;
  if (needsSync) {
    // The HTTP server listens only after `started`: give it a moment before the first WeCom call.
    await startSync(platform, tenantId, "all", null, { delayMs: options.syncDelayMs ?? 2000 });
    syncStarted = true;
  }
  platform.log.info(
    { tenantId, corpId: wired.corpId, seeded, settingsSaved, syncStarted },
    "demo tenant wired to the WeCom sandbox",
  );
  return { tenantId, seeded, settingsSaved, syncStarted };
}
