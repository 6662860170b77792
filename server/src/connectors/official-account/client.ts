import {
  type ApiClient,
  type CallOptions,
  createApiClient,
  type HttpMethod,
  type LimitOptions,
} from "../shared/api-client.ts";
import type { BreakerState } from "../shared/circuit-breaker.ts";
import { OaApiError, oaErrcodes } from "./errors.ts";
import type * as O from "./types.ts";

const c = oaErrcodes;

/** The real API origin. */
export const oaDefaultApiBase = "https://api.weixin.qq.com";
/** The QR image host (`showqrcode` is not under the API origin on the real platform). */
export const oaDefaultQrBase = "https://mp.weixin.qq.com";

/**
 * Per-API limits under the daily quotas of §10 spread over the day are not useful (a sync wants
 * its 500 user/get calls now); these only keep bursts polite. `options.limits` replaces them.
 */
export const oaDefaultLimits: LimitOptions = {
  perApi: { limit: 3_000, windowMs: 60_000 },
  perAccount: { limit: 12_000, windowMs: 60_000 },
};

/** Most openids user/info/batchget takes per call. */
export const batchGetMax = 100;
/** Most openids tags/members/batchtagging takes per call. */
export const tagMembersMax = 50;

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface OaClient {
  readonly appId: string;
  /** Any API: `path` is under apiBase, e.g. `/cgi-bin/user/get`. */
  call<T extends object = O.OaResponse>(method: HttpMethod, path: string, options?: CallOptions): Promise<T>;
  accessToken(signal?: AbortSignal): Promise<string>;
  invalidateToken(): void;
  breakerState(): BreakerState;

  users: {
    /** One page of follower openids (≤10,000) after `nextOpenid`. */
    list(nextOpenid?: string, opts?: RequestOptions): Promise<O.UserListResponse>;
    /** Every follower openid, page by page (stops on an empty or repeated next_openid). */
    iterate(
      startAfter?: string,
      opts?: RequestOptions,
    ): AsyncGenerator<{ openids: string[]; next: string; total: number }>;
    info(openid: string, lang?: string, opts?: RequestOptions): Promise<O.UserInfoResponse>;
    /** user/info/batchget, ≤100 openids per call (more are refused locally). */
    batchGet(openids: readonly string[], opts?: RequestOptions): Promise<O.OaUserInfo[]>;
    updateRemark(req: O.UpdateRemarkRequest, opts?: RequestOptions): Promise<O.OaResponse>;
  };
  qrcode: {
    create(req: O.CreateQrCodeRequest, opts?: RequestOptions): Promise<O.CreateQrCodeResponse>;
    /** The image URL of a ticket (URL-encoded, §6); needs no token. */
    showUrl(ticket: string): string;
  };
  templates: {
    send(req: O.TemplateSendRequest, opts?: RequestOptions): Promise<O.TemplateSendResponse>;
    list(opts?: RequestOptions): Promise<O.TemplateListResponse>;
  };
  customService: {
    /** message/custom/send: only within 48 h of the follower's last interaction. */
    send(req: O.CustomSendRequest, opts?: RequestOptions): Promise<O.OaResponse>;
  };
  tags: {
    create(name: string, opts?: RequestOptions): Promise<O.CreateTagResponse>;
    get(opts?: RequestOptions): Promise<O.GetTagsResponse>;
    update(tag: { id: number; name: string }, opts?: RequestOptions): Promise<O.OaResponse>;
    delete(id: number, opts?: RequestOptions): Promise<O.OaResponse>;
    /** ≤50 openids per call. */
    tagMembers(req: O.TagMembersRequest, opts?: RequestOptions): Promise<O.OaResponse>;
    untagMembers(req: O.TagMembersRequest, opts?: RequestOptions): Promise<O.OaResponse>;
    idsOf(openid: string, opts?: RequestOptions): Promise<O.TagIdListResponse>;
    /** user/tag/get: one page of a tag's followers. */
    users(tagid: number, nextOpenid?: string, opts?: RequestOptions): Promise<O.TagUsersResponse>;
  };
  menu: {
    create(req: O.CreateMenuRequest, opts?: RequestOptions): Promise<O.OaResponse>;
    get(opts?: RequestOptions): Promise<O.MenuGetResponse>;
    delete(opts?: RequestOptions): Promise<O.OaResponse>;
    addConditional(
      req: O.AddConditionalMenuRequest,
      opts?: RequestOptions,
    ): Promise<O.AddConditionalMenuResponse>;
    delConditional(menuid: string, opts?: RequestOptions): Promise<O.OaResponse>;
    /** The menu a follower (openid) would see. */
    tryMatch(userId: string, opts?: RequestOptions): Promise<O.TryMatchResponse>;
  };
  /** clear_quota: resets the daily quotas (10 times a month, 48006 after). */
  clearQuota(opts?: RequestOptions): Promise<O.OaResponse>;
}

const api = (name: string) => `/cgi-bin/${name}`;

export function createOaClient(options: O.OaClientOptions): OaClient {
  const stable = (options.tokenEndpoint ?? "stable_token") === "stable_token";
  const core: ApiClient = createApiClient({
    platform: "official-account",
    apiBase: options.apiBase,
    account: options.appId,
    secret: options.secret,
    token: stable
      ? {
          method: "POST",
          path: api("stable_token"),
          body: {
            grant_type: "client_credential",
            appid: options.appId,
            secret: options.secret,
            force_refresh: false,
          },
        }
      : {
          method: "GET",
          path: api("token"),
          query: { grant_type: "client_credential", appid: options.appId, secret: options.secret },
        },
    errcodes: {
      tokenInvalid: [c.invalidCredential, c.invalidAccessToken, c.accessTokenExpired, c.accessTokenMissing],
      retry: [c.systemBusy],
      // 45011 is per minute: worth waiting for. 45009 is per day: retrying within a call is useless.
      throttled: [c.minuteQuotaReached],
    },
    limiter: options.limiter,
    limits: options.limits ?? oaDefaultLimits,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    breaker: options.breaker,
    log: options.log,
    createError: (init) => new OaApiError(init),
  });
  const apiBase = options.apiBase.replace(/\/+$/, "");

  const get = <T extends object>(path: string, query: CallOptions["query"], opts?: RequestOptions) =>
    core.call<T>("GET", path, { query, signal: opts?.signal });
  const post = <T extends object>(path: string, body: unknown, opts?: RequestOptions) =>
    core.call<T>("POST", path, { body, signal: opts?.signal });

  const users: OaClient["users"] = {
    list: (nextOpenid, opts) => get(api("user/get"), { next_openid: nextOpenid || undefined }, opts),
    async *iterate(startAfter, opts) {
      let next = startAfter ?? "";
      for (let first = true; ; first = false) {
        const page = await users.list(next, opts);
        const openids = page.data?.openid ?? [];
        const after = page.next_openid ?? "";
        // WeChat answers a last, empty page after the last full one: only the first may be empty.
        if (openids.length === 0 && !first) return;
        yield { openids, next: after, total: page.total };
        // The last page repeats its last openid as next_openid on some accounts: stop on no progress.
        if (openids.length === 0 || !after || after === next) return;
        next = after;
      }
    },
    info: (openid, lang = "zh_CN", opts) => get(api("user/info"), { openid, lang }, opts),
    async batchGet(openids, opts) {
      if (openids.length === 0) return [];
      if (openids.length > batchGetMax)
        throw new RangeError(`user/info/batchget takes at most ${batchGetMax} openids`);
      const answer = await post<O.BatchGetUserResponse>(
        api("user/info/batchget"),
        { user_list: openids.map((openid) => ({ openid, lang: "zh_CN" })) },
        opts,
      );
      return answer.user_info_list ?? [];
    },
    updateRemark: (req, opts) => post(api("user/info/updateremark"), req, opts),
  };

  const qrBase = /api\.weixin\.qq\.com$/.test(new URL(apiBase).host) ? oaDefaultQrBase : apiBase;

  return {
    appId: options.appId,
    call: (method, path, callOptions) => core.call(method, path, callOptions),
    accessToken: (signal) => core.accessToken(signal),
    invalidateToken: () => core.invalidateToken(),
    breakerState: () => core.breakerState(),
    users,
    qrcode: {
      create: (req, opts) => post(api("qrcode/create"), req, opts),
      showUrl: (ticket) => `${qrBase}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`,
    },
    templates: {
      send: (req, opts) => post(api("message/template/send"), req, opts),
      list: (opts) => get(api("template/get_all_private_template"), {}, opts),
    },
    customService: {
      send: (req, opts) => post(api("message/custom/send"), req, opts),
    },
    tags: {
      create: (name, opts) => post(api("tags/create"), { tag: { name } }, opts),
      get: (opts) => get(api("tags/get"), {}, opts),
      update: (tag, opts) => post(api("tags/update"), { tag }, opts),
      delete: (id, opts) => post(api("tags/delete"), { tag: { id } }, opts),
      tagMembers: (req, opts) => post(api("tags/members/batchtagging"), req, opts),
      untagMembers: (req, opts) => post(api("tags/members/batchuntagging"), req, opts),
      idsOf: (openid, opts) => post(api("tags/getidlist"), { openid }, opts),
      users: (tagid, nextOpenid, opts) =>
        post(api("user/tag/get"), { tagid, next_openid: nextOpenid ?? "" }, opts),
    },
    menu: {
      create: (req, opts) => post(api("menu/create"), req, opts),
      get: (opts) => get(api("menu/get"), {}, opts),
      delete: (opts) => get(api("menu/delete"), {}, opts),
      addConditional: (req, opts) => post(api("menu/addconditional"), req, opts),
      delConditional: (menuid, opts) => post(api("menu/delconditional"), { menuid }, opts),
      tryMatch: (userId, opts) => post(api("menu/trymatch"), { user_id: userId }, opts),
    },
    clearQuota: (opts) => post(api("clear_quota"), { appid: options.appId }, opts),
  };
}
