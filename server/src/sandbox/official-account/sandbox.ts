import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SimClock } from "../wecom/clock.ts";
import { randomAlnum } from "../wecom/ids.ts";
import { newAppId, newOpenid, newOriginalId, newSecret, newUnionid, OaAccount } from "./account.ts";
import { type MessageFields, OaCallbackSender, type OaDelivery } from "./callback-sender.ts";
import { OaError } from "./errcodes.ts";
import {
  type AccountData,
  defaultApiQuota,
  defaultDailyQuotas,
  defaultTemplates,
  type OaCallbackConfig,
  type OaFollower,
  type OaTemplateSend,
} from "./model.ts";

export interface OaSandboxOptions {
  /** Persist each account to `<dataDir>/<appId>.json` (debounced) and reload it on start. */
  dataDir?: string;
  persistDelayMs?: number;
  callbackTimeoutMs?: number;
  callbackRetryDelayMs?: number;
  /** Retries after a failed delivery (default 3, as WeChat; a crash test outlasts a restart). */
  callbackRetries?: number;
  /** Delay before TEMPLATESENDJOBFINISH follows a template send, ms (default 300). */
  templateFinishDelayMs?: number;
  onError?: (err: unknown, what: string) => void;
}

export interface CreateAccountInput {
  appId?: string;
  secret?: string;
  originalId?: string;
  name?: string;
  callback?: OaCallbackConfig;
}

interface TokenRecord {
  token: string;
  appId: string;
  secret: string;
  expiresAt: number;
  stable: boolean;
}

/** access_token lifetime, seconds. */
export const oaTokenTtlSeconds = 7200;
/** A re-issued token leaves the previous one valid this long (§5). */
export const oaTokenOverlapMs = 5 * 60_000;
/** Temporary QR codes: default and longest lifetime, seconds (§6). */
export const qrDefaultExpireSeconds = 30;
export const qrMaxExpireSeconds = 2_592_000;
export const permanentQrCap = 100_000;

export interface FollowInput {
  openid?: string;
  unionid?: string;
  /** Scene of a parametric QR (scene_str, or a numeric scene_id). */
  scene?: string;
  ticket?: string;
  /** ADD_SCENE_… (default: QR code when a scene is given, search otherwise). */
  subscribeScene?: string;
}

/**
 * The Official Account simulator's engine: accounts, tokens (classic and stable), daily quotas, the
 * simulator clock (shared type with the WeCom simulator), persistence and the callback sender. The
 * HTTP surfaces (WeChat's `/cgi-bin/…` paths and the `_sim` API) are thin layers over it.
 */
export class OaSandbox {
  readonly clock: SimClock;
  readonly callbacks: OaCallbackSender;
  readonly accounts = new Map<string, OaAccount>();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #stableBySecret = new Map<string, TokenRecord>();
  readonly #dataDir: string | undefined;
  readonly #persistDelayMs: number;
  readonly #templateFinishDelayMs: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #pendingTimers = new Set<NodeJS.Timeout>();
  readonly #onError: (err: unknown, what: string) => void;

  constructor(options: OaSandboxOptions = {}) {
    this.#dataDir = options.dataDir;
    this.#persistDelayMs = options.persistDelayMs ?? 500;
    this.#templateFinishDelayMs = options.templateFinishDelayMs ?? 300;
    this.#onError = options.onError ?? (() => {});
    this.clock = new SimClock(0);
    this.callbacks = new OaCallbackSender({
      clock: this.clock,
      ...(options.callbackTimeoutMs !== undefined ? { timeoutMs: options.callbackTimeoutMs } : {}),
      ...(options.callbackRetryDelayMs !== undefined ? { retryDelayMs: options.callbackRetryDelayMs } : {}),
      ...(options.callbackRetries !== undefined ? { retries: options.callbackRetries } : {}),
    });
    this.#load();
  }

  // ---- accounts ----

  createAccount(input: CreateAccountInput = {}): OaAccount {
    const appId = input.appId ?? newAppId();
    if (this.accounts.has(appId)) throw new Error(`account ${appId} already exists`);
    const data: AccountData = {
      appId,
      secret: input.secret ?? newSecret(),
      originalId: input.originalId ?? newOriginalId(),
      name: input.name ?? "思域演示服务号",
      ...(input.callback ? { callback: input.callback } : {}),
      followers: [],
      tags: [],
      nextTagId: 100,
      qrcodes: [],
      menu: null,
      conditionalMenus: [],
      nextMenuId: 400_000_001,
      templates: defaultTemplates.map((t) => ({ ...t })),
      templateSends: [],
      nextMsgId: 200_228_332,
      quotas: { ...defaultDailyQuotas },
      quotaDay: this.#day(),
      quotaUsed: {},
      clearQuota: { month: this.#month(), count: 0 },
    };
    const account = new OaAccount(data);
    this.accounts.set(appId, account);
    this.changed(account);
    return account;
  }

  account(appId: string): OaAccount | undefined {
    return this.accounts.get(appId);
  }

  // ---- tokens (§5) ----

  /** Classic `token`: every call issues a new token; the previous one stays valid 5 more minutes. */
  issueToken(
    appid: string | undefined,
    secret: string | undefined,
  ): { access_token: string; expires_in: number } {
    const account = this.#credential(appid, secret);
    const now = this.clock.now();
    for (const rec of this.#tokens.values()) {
      if (rec.appId === account.appId && !rec.stable && rec.expiresAt > now + oaTokenOverlapMs)
        rec.expiresAt = now + oaTokenOverlapMs;
    }
    return this.#newToken(account, false);
  }

  /** `stable_token`: the same token while valid; force_refresh issues a new one (old: 5 more minutes). */
  issueStableToken(
    appid: string | undefined,
    secret: string | undefined,
    forceRefresh: boolean,
  ): { access_token: string; expires_in: number } {
    const account = this.#credential(appid, secret);
    const now = this.clock.now();
    const key = `${account.appId}|${account.secret}`;
    const existing = this.#stableBySecret.get(key);
    if (existing && existing.expiresAt > now && !forceRefresh) {
      return { access_token: existing.token, expires_in: Math.ceil((existing.expiresAt - now) / 1000) };
    }
    if (existing && existing.expiresAt > now + oaTokenOverlapMs) existing.expiresAt = now + oaTokenOverlapMs;
    const issued = this.#newToken(account, true);
    this.#stableBySecret.set(key, this.#tokens.get(issued.access_token)!);
    return issued;
  }

  #credential(appid: string | undefined, secret: string | undefined): OaAccount {
    if (!appid) throw new OaError(41002);
    const account = this.accounts.get(appid);
    if (!account) throw new OaError(40013);
    if (!secret) throw new OaError(41004);
    if (secret !== account.secret) throw new OaError(40125);
    if (account.ipBlocked) throw new OaError(40164);
    return account;
  }

  #newToken(account: OaAccount, stable: boolean): { access_token: string; expires_in: number } {
    const rec: TokenRecord = {
      token: randomAlnum(136),
      appId: account.appId,
      secret: account.secret,
      expiresAt: this.clock.now() + oaTokenTtlSeconds * 1000,
      stable,
    };
    this.#tokens.set(rec.token, rec);
    return { access_token: rec.token, expires_in: oaTokenTtlSeconds };
  }

  /** The account of an access_token, or the errcode WeChat answers. */
  authenticate(token: string | undefined): OaAccount {
    if (!token) throw new OaError(41001);
    const rec = this.#tokens.get(token);
    if (!rec) throw new OaError(40001);
    const account = this.accounts.get(rec.appId);
    if (!account || rec.secret !== account.secret) throw new OaError(40001);
    if (rec.expiresAt <= this.clock.now()) throw new OaError(42001);
    if (account.ipBlocked) throw new OaError(40164);
    return account;
  }

  accountOfToken(token: string | undefined): OaAccount | undefined {
    const rec = token ? this.#tokens.get(token) : undefined;
    return rec ? this.accounts.get(rec.appId) : undefined;
  }

  /** Fault: every token of the account expires now (next calls answer 42001). */
  expireTokens(appId: string): number {
    let n = 0;
    const now = this.clock.now();
    for (const rec of this.#tokens.values()) {
      if (rec.appId === appId && rec.expiresAt > now) {
        rec.expiresAt = now;
        n++;
      }
    }
    return n;
  }

  // ---- quotas (§10) ----

  #day(): number {
    return Math.floor((this.clock.now() + 8 * 3600_000) / 86_400_000);
  }

  #month(): string {
    return new Date(this.clock.now() + 8 * 3600_000).toISOString().slice(0, 7);
  }

  /** Counts one call against the API's daily quota; false when exhausted (45009). */
  takeQuota(account: OaAccount, api: string): boolean {
    const day = this.#day();
    if (account.quotaDay !== day) {
      account.quotaDay = day;
      account.quotaUsed = {};
    }
    const used = (account.quotaUsed[api] ?? 0) + 1;
    account.quotaUsed[api] = used;
    return used <= (account.quotas[api] ?? defaultApiQuota);
  }

  clearQuota(account: OaAccount): void {
    const month = this.#month();
    if (account.clearQuota.month !== month) account.clearQuota = { month, count: 0 };
    if (account.clearQuota.count >= 10) throw new OaError(48006);
    account.clearQuota.count++;
    account.quotaUsed = {};
    this.changed(account);
  }

  // ---- followers and what they do (the _sim API drives these) ----

  /** Creates `count` followers (no callbacks: they followed before the server URL was set). */
  seedFollowers(
    account: OaAccount,
    input: {
      count: number;
      unionidShare?: number;
      unionids?: string[];
      unionidTemplate?: string;
      offset?: number;
    },
  ): { created: number; openids: string[] } {
    const now = this.clock.seconds();
    const openids: string[] = [];
    const share = input.unionidShare ?? 1;
    const offset = input.offset ?? 0;
    for (let i = 0; i < input.count; i++) {
      const openid = newOpenid();
      let unionid: string | undefined;
      if (input.unionids && i < input.unionids.length) unionid = input.unionids[i];
      else if (input.unionidTemplate) unionid = input.unionidTemplate.replace("{i}", String(i + offset));
      else if (share >= 1 || (share > 0 && Math.random() < share)) unionid = newUnionid();
      account.addFollower({
        openid,
        ...(unionid ? { unionid } : {}),
        subscribe: 1,
        subscribe_time: now - (i % 86_400),
        subscribe_scene: "ADD_SCENE_SEARCH",
        qr_scene: 0,
        qr_scene_str: "",
        tagid_list: [],
        remark: "",
        language: "zh_CN",
      });
      if (input.count <= 10_000) openids.push(openid);
    }
    this.changed(account);
    return { created: input.count, openids };
  }

  /**
   * A WeChat user follows (or, already following, scans a parametric QR): `subscribe` with
   * `qrscene_<scene>` and Ticket, or `SCAN` with the bare scene, or a plain `subscribe`.
   */
  follow(
    account: OaAccount,
    input: FollowInput,
  ): { openid: string; event: "subscribe" | "SCAN"; delivery: OaDelivery } {
    const now = this.clock.seconds();
    let scene = input.scene;
    let ticket = input.ticket;
    if (ticket) {
      const qr = account.qrcodes.get(ticket);
      if (!qr) throw new OaError(47003, "unknown ticket");
      if (qr.expires_at !== null && qr.expires_at <= this.clock.now())
        throw new OaError(47003, "the QR code expired");
      scene = qr.scene_str ?? String(qr.scene_id);
    } else if (scene) {
      ticket = [...account.qrcodes.values()].find(
        (q) => (q.scene_str ?? String(q.scene_id)) === scene,
      )?.ticket;
    }
    const openid = input.openid ?? newOpenid();
    const existing = account.followers.get(openid);
    if (existing?.subscribe === 1) {
      if (!scene) throw new OaError(47003, "already following; give a scene or ticket to scan");
      const delivery = this.callbacks.emit(account, openid, "event", {
        Event: "SCAN",
        EventKey: scene,
        Ticket: ticket ?? "",
      });
      return { openid, event: "SCAN", delivery };
    }
    const unionid = input.unionid ?? existing?.unionid;
    const follower: OaFollower = {
      openid,
      ...(unionid ? { unionid } : {}),
      subscribe: 1,
      subscribe_time: now,
      subscribe_scene: input.subscribeScene ?? (scene ? "ADD_SCENE_QR_CODE" : "ADD_SCENE_SEARCH"),
      qr_scene: scene && /^\d+$/.test(scene) ? Number(scene) : 0,
      qr_scene_str: scene && !/^\d+$/.test(scene) ? scene : "",
      tagid_list: existing?.tagid_list ?? [],
      remark: existing?.remark ?? "",
      language: "zh_CN",
    };
    account.addFollower(follower);
    this.changed(account);
    const delivery = this.callbacks.emit(account, openid, "event", {
      Event: "subscribe",
      EventKey: scene ? `qrscene_${scene}` : "",
      ...(scene ? { Ticket: ticket ?? "" } : {}),
    });
    return { openid, event: "subscribe", delivery };
  }

  unfollow(account: OaAccount, openid: string): OaDelivery {
    const f = this.#follower(account, openid);
    f.subscribe = 0;
    this.changed(account);
    return this.callbacks.emit(account, openid, "event", { Event: "unsubscribe", EventKey: "" });
  }

  /** A message from a follower: text by default; MsgId as WeChat's 64-bit id (a string). */
  message(account: OaAccount, openid: string, msgType: string, fields: MessageFields): OaDelivery {
    this.#follower(account, openid, true);
    const msgId = `${Date.now()}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
    return this.callbacks.emit(account, openid, msgType, { ...fields, MsgId: msgId });
  }

  event(account: OaAccount, openid: string, event: string, fields: MessageFields): OaDelivery {
    this.#follower(account, openid, true);
    return this.callbacks.emit(account, openid, "event", { Event: event, ...fields });
  }

  #follower(account: OaAccount, openid: string, mustFollow = false): OaFollower {
    const f = account.followers.get(openid);
    if (!f) throw new OaError(40003);
    if (mustFollow && f.subscribe !== 1) throw new OaError(43004);
    return f;
  }

  /** Settles a template send after a short delay with TEMPLATESENDJOBFINISH (§7). */
  finishTemplateSend(account: OaAccount, send: OaTemplateSend): void {
    const timer = setTimeout(() => {
      this.#pendingTimers.delete(timer);
      const follower = account.followers.get(send.touser);
      send.status = follower?.blocksTemplates
        ? "failed:user block"
        : Math.random() < account.templateFailureRate
          ? "failed: system failed"
          : "success";
      this.changed(account);
      this.callbacks.emit(account, send.touser, "event", {
        Event: "TEMPLATESENDJOBFINISH",
        MsgID: String(send.msgid),
        Status: send.status,
      });
    }, this.#templateFinishDelayMs);
    timer.unref();
    this.#pendingTimers.add(timer);
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  // ---- persistence ----

  changed(account: OaAccount): void {
    if (!this.#dataDir || this.#timers.has(account.appId)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(account.appId);
      this.#write(account);
    }, this.#persistDelayMs);
    timer.unref();
    this.#timers.set(account.appId, timer);
  }

  #write(account: OaAccount): void {
    if (!this.#dataDir || !this.accounts.has(account.appId)) return;
    try {
      mkdirSync(this.#dataDir, { recursive: true });
      const file = join(this.#dataDir, `${account.appId}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(account.toJSON()));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.#onError(err, `persist account ${account.appId}`);
    }
  }

  #load(): void {
    if (!this.#dataDir || !existsSync(this.#dataDir)) return;
    for (const name of readdirSync(this.#dataDir)) {
      if (!name.endsWith(".json") || name.startsWith("_")) continue;
      try {
        const data = JSON.parse(readFileSync(join(this.#dataDir, name), "utf8")) as AccountData;
        this.accounts.set(data.appId, new OaAccount(data));
      } catch (err) {
        this.#onError(err, `load ${name}`);
      }
    }
  }

  flushPersistence(): void {
    for (const [appId, timer] of this.#timers) {
      clearTimeout(timer);
      this.#timers.delete(appId);
      const account = this.accounts.get(appId);
      if (account) this.#write(account);
    }
  }

  async close(): Promise<void> {
    for (const t of this.#pendingTimers) clearTimeout(t);
    this.#pendingTimers.clear();
    this.flushPersistence();
    await this.callbacks.close();
  }
}

export function createOaSandbox(options: OaSandboxOptions = {}): OaSandbox {
  return new OaSandbox(options);
}
