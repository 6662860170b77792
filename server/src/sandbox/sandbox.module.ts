import { createHash } from "node:crypto";
import { join } from "node:path";
import type { OaMessageMode } from "../connectors/official-account/index.ts";
import type { Module, Platform } from "../platform/platform.ts";
import { createOaSandbox, type OaSandbox, oaSandbox } from "./official-account/index.ts";
import { randomAlnum } from "./wecom/ids.ts";
import { createWecomSandbox, type WecomSandbox, wecomSandbox } from "./wecom/index.ts";

/** Where the in-app WeCom simulator is mounted; a sandbox tenant's apiBase is `${publicUrl}${this}`. */
export const wecomSandboxPrefix = "/sandbox/wecom";

/** Where the in-app Official Account simulator is mounted (its apiBase). */
export const oaSandboxPrefix = "/sandbox/official-account";

const instances = new WeakMap<Platform, WecomSandbox>();
const oaInstances = new WeakMap<Platform, OaSandbox>();
let latest: WecomSandbox | undefined;

/** The in-app Official Account simulator of this process (undefined when SIYU_SANDBOX is off). */
export function getOaSandbox(platform: Platform): OaSandbox | undefined {
  return oaInstances.get(platform);
}

/** Settings a tenant stores to talk to the in-app OA simulator (the shape of `PUT /api/settings/official-account`). */
export interface SandboxOaSettings {
  appId: string;
  secret: string;
  token: string;
  encodingAesKey: string;
  mode: OaMessageMode;
  apiBase: string;
}

/**
 * Creates (or reuses, across restarts) the simulated Official Account of a tenant and points its
 * server URL at `/callbacks/official-account/<tenantId>` in `mode` (safe by default). The appid is
 * derived from the tenant id so it stays the same.
 */
export function wireOaSandboxTenant(
  platform: Platform,
  tenantId: string,
  mode: OaMessageMode = "safe",
): SandboxOaSettings {
  const sandbox = oaInstances.get(platform);
  if (!sandbox) throw new Error("the Official Account sandbox is not enabled (SIYU_SANDBOX=0)");
  const appId = `wx${createHash("sha256").update(`oa:${tenantId}`).digest("hex").slice(0, 16)}`;
  const url = `${platform.config.publicUrl}/callbacks/official-account/${encodeURIComponent(tenantId)}`;
  let account = sandbox.account(appId);
  if (!account) {
    account = sandbox.createAccount({
      appId,
      name: "思域演示服务号",
      callback: { url, token: randomAlnum(32), encodingAesKey: randomAlnum(43), mode },
    });
  } else if (!account.callback || account.callback.url !== url || account.callback.mode !== mode) {
    account.callback = {
      url,
      token: account.callback?.token ?? randomAlnum(32),
      encodingAesKey: account.callback?.encodingAesKey ?? randomAlnum(43),
      mode,
    };
    sandbox.changed(account);
  }
  const cb = account.callback!;
  return {
    appId: account.appId,
    secret: account.secret,
    token: cb.token,
    encodingAesKey: cb.encodingAesKey ?? "",
    mode: cb.mode,
    apiBase: `${platform.config.publicUrl}${oaSandboxPrefix}`,
  };
}

/**
 * The in-app WeCom simulator of this process (undefined when SIYU_SANDBOX is off). Each process has
 * its own in-memory simulator, which is why the setting is off by default in cluster mode.
 */
export function getWecomSandbox(platform?: Platform): WecomSandbox | undefined {
  return platform ? instances.get(platform) : latest;
}

/** Settings a tenant stores to talk to the in-app simulator (the shape of `PUT /api/settings/wecom`). */
export interface SandboxWecomSettings {
  corpId: string;
  agentId: number;
  secret: string;
  contactSecret: string;
  callbackToken: string;
  encodingAesKey: string;
  apiBase: string;
}

/**
 * Creates (or reuses, across restarts) the simulated corp of a tenant and points its callbacks at
 * `/callbacks/wecom/<tenantId>`. The corp id is derived from the tenant id so it stays the same.
 */
export function wireSandboxTenant(platform: Platform, tenantId: string): SandboxWecomSettings {
  const sandbox = instances.get(platform);
  if (!sandbox) throw new Error("the WeCom sandbox is not enabled (SIYU_SANDBOX=0)");
  const corpId = `ww${createHash("sha256").update(tenantId).digest("hex").slice(0, 16)}`;
  const url = `${platform.config.publicUrl}/callbacks/wecom/${encodeURIComponent(tenantId)}`;
  let corp = sandbox.corp(corpId);
  if (!corp) {
    corp = sandbox.createCorp({
      corpId,
      corpName: "思域演示企业",
      callback: { url, token: randomAlnum(32), encodingAesKey: randomAlnum(43) },
    });
  } else if (!corp.callback || corp.callback.url !== url) {
    corp.callback = {
      url,
      token: corp.callback?.token ?? randomAlnum(32),
      encodingAesKey: corp.callback?.encodingAesKey ?? randomAlnum(43),
    };
    sandbox.changed(corp);
  }
  const callback = corp.callback!;
  return {
    corpId: corp.corpId,
    agentId: corp.agentId,
    secret: corp.appSecret,
    contactSecret: corp.contactSecret,
    callbackToken: callback.token,
    encodingAesKey: callback.encodingAesKey,
    apiBase: `${platform.config.publicUrl}${wecomSandboxPrefix}`,
  };
}

/**
 * Serves the platform simulators inside the app when `SIYU_SANDBOX` is on: WeCom's paths at
 * `/sandbox/wecom/cgi-bin/…` and its sim API at `/sandbox/wecom/_sim/…`, without auth (they are
 * callbacks-scope routes), state persisted under `${SIYU_DATA_DIR}/sandbox`.
 */
export const sandboxModule: Module = {
  name: "sandbox",
  async callbacks(app, platform) {
    if (!platform.config.sandbox) return;
    const sandbox =
      instances.get(platform) ??
      createWecomSandbox({
        dataDir: join(platform.config.dataDir, "sandbox"),
        onError: (err, what) => platform.log.warn({ err }, `WeCom sandbox: ${what}`),
      });
    instances.set(platform, sandbox);
    latest = sandbox;
    await app.register(
      async (scope) => {
        scope.addHook("onClose", async () => {
          await sandbox.close();
        });
        await scope.register(wecomSandbox({ sandbox }));
      },
      { prefix: wecomSandboxPrefix },
    );
    const oa =
      oaInstances.get(platform) ??
      createOaSandbox({
        dataDir: join(platform.config.dataDir, "sandbox", "official-account"),
        onError: (err, what) => platform.log.warn({ err }, `Official Account sandbox: ${what}`),
      });
    oaInstances.set(platform, oa);
    await app.register(
      async (scope) => {
        scope.addHook("onClose", async () => {
          await oa.close();
        });
        await scope.register(oaSandbox({ sandbox: oa }));
      },
      { prefix: oaSandboxPrefix },
    );
  },
};
