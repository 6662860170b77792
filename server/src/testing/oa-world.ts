import { expect } from "vitest";
import { oaSignature } from "../connectors/official-account/index.ts";
import { WxMsgCrypt } from "../connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../connectors/shared/xml.ts";
import type { Database } from "../platform/db/index.ts";
import type { QueueName } from "../platform/jobs/index.ts";
import { type StandaloneOaSandbox, startOaSandbox } from "../sandbox/official-account/index.ts";
import { type StandaloneWecomSandbox, startWecomSandbox } from "../sandbox/wecom/index.ts";
import { AppWorld, type TestApp } from "./app-harness.ts";
import type { DbKind } from "./databases.ts";
import { addSimContact, connectSandboxCorp, waitFor } from "./wecom-world.ts";

type Json = Record<string, unknown>;

/** One call of the Official Account simulator's sim API (`<simUrl>/_sim<path>`). */
export async function oaSimCall(
  simUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${simUrl}/_sim${path}`, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
      : {}),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

export interface TestOaAccount {
  appId: string;
  originalId: string;
  token: string;
  encodingAesKey: string;
  mode: "plain" | "compatible" | "safe";
}

/**
 * Creates an account in the simulator whose server URL is the tenant's callback URL, and stores it
 * as the tenant's Official Account settings through the real route. Returns the account.
 */
export async function connectOaSandboxAccount(input: {
  t: TestApp;
  owner: string;
  tenantId: string;
  simUrl: string;
  appUrl: string;
  mode: "plain" | "compatible" | "safe";
  token: string;
  encodingAesKey: string;
}): Promise<TestOaAccount> {
  const { t, owner, tenantId, simUrl, appUrl, mode, token, encodingAesKey } = input;
  const account = await oaSimCall(simUrl, "POST", "/accounts", {
    name: "测试服务号",
    callback: { url: `${appUrl}/callbacks/official-account/${tenantId}`, token, encodingAesKey, mode },
  });
  expect(account.status).toBe(201);
  const put = await t.call("PUT", "/api/settings/official-account", {
    token: owner,
    body: {
      appId: account.json.appId,
      secret: account.json.secret,
      token,
      encodingAesKey,
      mode,
      apiBase: simUrl,
    },
  });
  expect(put.statusCode, put.body).toBe(200);
  return {
    appId: account.json.appId as string,
    originalId: account.json.originalId as string,
    token,
    encodingAesKey,
    mode,
  };
}

/** A message signed as WeChat's servers sign it in the account's mode: the URL query and the body. */
export function signedOaMessage(
  account: TestOaAccount,
  fields: Record<string, string | number | undefined>,
  options: { timestamp?: string; nonce?: string; mode?: TestOaAccount["mode"] } = {},
): { query: string; body: string } {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  const mode = options.mode ?? account.mode;
  const xml = buildWxXml({ ToUserName: account.originalId, CreateTime: Number(timestamp), ...fields });
  const openid = String(fields.FromUserName ?? "");
  let query = `signature=${oaSignature(account.token, timestamp, nonce)}&timestamp=${timestamp}&nonce=${nonce}&openid=${openid}`;
  if (mode === "plain") return { query, body: xml };
  const crypt = new WxMsgCrypt({
    token: account.token,
    encodingAesKey: account.encodingAesKey,
    receiveId: account.appId,
  });
  const encrypt = crypt.encrypt(xml);
  query += `&encrypt_type=aes&msg_signature=${crypt.sign(timestamp, nonce, encrypt)}`;
  const body =
    mode === "safe"
      ? buildWxXml({ ToUserName: account.originalId, Encrypt: encrypt })
      : xml.replace(/<\/xml>\s*$/, `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
  return { query, body };
}

/** An account's callback keys: what `connectOaSandboxAccount` needs besides the app. */
export type OaAccountKeys = Pick<TestOaAccount, "mode" | "token" | "encodingAesKey">;

const defaultAccount: OaAccountKeys = {
  mode: "safe",
  token: "OaToken123",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
};

export interface OaWorldOptions {
  /** The first account's keys; default safe mode with fixed test keys. */
  account?: Partial<OaAccountKeys>;
  /** Also a simulated WeCom corp ("测试企业", one contact-enabled member zhangsan), connected first. */
  wecom?: boolean;
  /**
   * What `settle()` waits for. `"oa"` (default): no OA callback unprocessed in the inbox and no OA
   * task pending. `{ queues }`: also no inbox row of any platform, no undispatched outbox row, and
   * nothing waiting or running in these job queues (the subscribers of the events, and what they start).
   */
  settle?: "oa" | { queues: QueueName[] };
}

export type OaFollow = Json & { openid: string; delivery: Json; customerId: string };

/**
 * An Official Account test world: the OA simulator (and, with `wecom`, the WeCom one), the app and a
 * connected simulator account. The helpers speak to the current account (the first, or the last of
 * `connectAccount` / `reconnect`).
 */
export class OaWorld extends AppWorld {
  oa!: StandaloneOaSandbox;
  /** The account connected now. */
  account!: TestOaAccount;
  /** With `wecom`: the simulator and the connected corp. */
  wecom?: { sandbox: StandaloneWecomSandbox; corpId: string };
  private readonly settleQueues: QueueName[] | null;
  private sandboxes: Array<{ close(): Promise<void> }> = [];

  constructor(
    kind: DbKind,
    private readonly options: OaWorldOptions = {},
  ) {
    super(kind);
    this.settleQueues = !options.settle || options.settle === "oa" ? null : options.settle.queues;
  }

  open = async (): Promise<void> => {
    this.oa = await startOaSandbox({ callbackRetryDelayMs: 20, templateFinishDelayMs: 20 });
    this.sandboxes.push(this.oa);
    const wecom = this.options.wecom ? await startWecomSandbox({ callbackRetryDelayMs: 20 }) : undefined;
    if (wecom) this.sandboxes.push(wecom);
    await this.openApp();
    const { t, owner, tenantId, appUrl } = this;
    if (wecom) {
      const corpId = await connectSandboxCorp({
        t,
        owner,
        tenantId,
        simUrl: wecom.url,
        appUrl,
        corpName: "测试企业",
        members: [{ userid: "zhangsan", name: "张三", department: [1], customerContact: true }],
        token: "WecomToken1",
        encodingAesKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut",
      });
      this.wecom = { sandbox: wecom, corpId };
    }
    this.account = await this.connect({ ...defaultAccount, ...this.options.account });
  };

  close = async (): Promise<void> => {
    await this.closeApp();
    for (const sandbox of this.sandboxes) await sandbox.close();
  };

  db = (): Database => this.t.siyu.platform.db;

  /** A call of the OA simulator's sim API. */
  osim = (method: string, path: string, body?: unknown) => oaSimCall(this.oa.url, method, path, body);

  /** `/accounts/<appId><path>`, of the current account unless another appId is given. */
  acct = (path: string, appId = this.account.appId) => `/accounts/${appId}${path}`;

  /**
   * Waits until the OA work is done: see `OaWorldOptions.settle`. One statement, one snapshot: two
   * separate counts can miss a task created in between.
   */
  settle = async (): Promise<void> => {
    const queues = this.settleQueues;
    await waitFor(queues ? "OA work" : "OA tasks", async () => {
      const [r] = await this.db().query<{ n: number }>(
        queues
          ? `select (select count(*)::int from oa_event_tasks where status = 'pending')
                  + (select count(*)::int from inbox where processed_at is null)
                  + (select count(*)::int from outbox where dispatched_at is null) as n`
          : `select (select count(*)::int from oa_event_tasks where status = 'pending')
                  + (select count(*)::int from inbox where platform = 'official-account' and processed_at is null) as n`,
      );
      if (r?.n !== 0) return false;
      if (!queues) return true;
      const counts = await this.t.siyu.platform.jobs.counts();
      return queues.every((q) => counts[q].waiting + counts[q].active === 0);
    });
  };

  /**
   * A follow (or a SCAN of a follower) in the simulator, delivered at once; settles and checks that
   * this openid's subscribe task is done (a failed one says why here, not as a missing follower
   * later). Returns the simulator's answer and the follower's customer in the current account.
   */
  follow = async (body: Json): Promise<OaFollow> => {
    const r = await this.osim("POST", `${this.acct("/follow")}?wait=1`, body);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    await this.settle();
    const openid = r.json.openid as string;
    const tasks = await this.db().query<{ status: string; error: string | null }>(
      "select status, error from oa_event_tasks where openid = $1 and kind = 'event.subscribe'",
      [openid],
    );
    expect(
      tasks.map((x) => x.status),
      JSON.stringify(tasks),
    ).toContain("done");
    return { ...r.json, openid, customerId: (await this.customerOf(openid)) as string } as OaFollow;
  };

  /** The customer of a follower (of the current account unless another appId is given). */
  customerOf = async (openid: string, appId = this.account.appId): Promise<string | undefined> =>
    (
      await this.db().query<{ customer_id: string }>(
        "select customer_id from oa_followers where app_id = $1 and openid = $2",
        [appId, openid],
      )
    )[0]?.customer_id;

  /** `GET /api/customers/:id`. */
  customer = async (id: string) => (await this.api("GET", `/api/customers/${id}`)).json();

  /** The customer's timeline, newest first, up to 200 entries. */
  timeline = async (id: string): Promise<Array<Json & { type: string; data: Json }>> =>
    (await this.api("GET", `/api/customers/${id}/timeline?limit=200`)).json().items;

  /** `GET /api/official-account/menus`. */
  menus = async () => (await this.api("GET", "/api/official-account/menus")).json().items as Json[];

  /**
   * Creates the default menu (a MEMBER button) and one menu per tag (a `<tag>_LINE` button), and
   * maps each tag to an OA tag; nothing is published.
   */
  createMenus = async (tags: string[]): Promise<void> => {
    const main = await this.api("POST", "/api/official-account/menus", {
      name: "默认菜单",
      tag: null,
      buttons: [{ type: "click", name: "会员中心", key: "MEMBER" }],
    });
    expect(main.statusCode, main.body).toBe(201);
    for (const tag of tags) {
      const m = await this.api("POST", "/api/official-account/menus", {
        name: `${tag} 菜单`,
        tag,
        buttons: [{ type: "click", name: `${tag}专线`, key: `${tag}_LINE` }],
      });
      expect(m.statusCode, m.body).toBe(201);
      expect((await this.api("POST", "/api/official-account/tag-map", { tag })).statusCode).toBe(200);
    }
  };

  /** The simulator's view of an account (the current one unless another appId is given). */
  simAccount = async (appId?: string) => (await this.osim("GET", this.acct("", appId))).json;

  /** Template messages the simulator received for this openid (current account). */
  simSendsTo = async (openid: string) =>
    ((await this.osim("GET", this.acct("/template-sends"))).json.items as Json[]).filter(
      (s) => s.touser === openid,
    );

  /** Adds a template to the simulator account and syncs the templates (200). */
  syncTemplate = async (template: { template_id: string; title: string; content: string }) => {
    await this.osim("POST", this.acct("/templates"), template);
    const synced = await this.api("POST", "/api/official-account/templates/sync");
    expect(synced.statusCode, synced.body).toBe(200);
    return synced;
  };

  /** Creates another simulator account and connects it; it becomes the current one. */
  connectAccount = async (keys: OaAccountKeys): Promise<TestOaAccount> => {
    this.account = await this.connect(keys);
    return this.account;
  };

  /** Connects an account created before (by its stored keys) again; it becomes the current one. */
  reconnect = async (account: TestOaAccount): Promise<void> => {
    const put = await this.api("PUT", "/api/settings/official-account", {
      appId: account.appId,
      secret: this.oa.sandbox.account(account.appId)!.secret,
      token: account.token,
      encodingAesKey: account.encodingAesKey,
      mode: account.mode,
      apiBase: this.oa.url,
    });
    expect(put.statusCode, put.body).toBe(200);
    this.account = account;
  };

  /** With `wecom`: a customer adds zhangsan; waits until the contact is stored. Its customer. */
  addWecomContact = async (unionid: string | undefined, name: string): Promise<string> => {
    if (!this.wecom) throw new Error("the OA world has no WeCom (option wecom)");
    const added = await addSimContact({
      db: this.db(),
      ...this.wecom,
      userid: "zhangsan",
      customer: { name, ...(unionid ? { unionid } : {}) },
    });
    return added.customerId as string;
  };

  private connect(keys: OaAccountKeys): Promise<TestOaAccount> {
    const { t, owner, tenantId, appUrl } = this;
    return connectOaSandboxAccount({ t, owner, tenantId, simUrl: this.oa.url, appUrl, ...keys });
  }
}
