import type { Logger } from "../../platform/logger.ts";
import { createMemoryRateLimiter, type RateLimit, type RateLimiter } from "../../platform/ratelimit/index.ts";
import { RateLimitTimeoutError, sleep } from "../../platform/ratelimit/ratelimit.ts";
import { ApiError, type ApiErrorInit, type ApiErrorKind } from "./api-error.ts";
import {
  type BreakerOptions,
  type BreakerOutcome,
  type BreakerState,
  CircuitBreaker,
  defaultBreakerOptions,
} from "./circuit-breaker.ts";
import { redactUrl, scrub, sensitiveParams } from "./redact.ts";
import { type FetchedToken, TokenCache } from "./token-cache.ts";

/**
 * The core of every access-token API client (WeCom, Official Account…): token cache with single
 * flight, refresh-and-retry-once on token errcodes, backoff retries, per-request timeout, circuit
 * breaker per account, rate limits per account and per API. Nothing platform-specific lives here;
 * a connector passes its token endpoint and errcode policy.
 */

export type HttpMethod = "GET" | "POST";
export type QueryValue = string | number | boolean | undefined;

/** How to obtain a token; the answer must carry `access_token` and `expires_in` (seconds). */
export interface TokenRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export interface ErrcodePolicy {
  /** Drop the token, refetch (single flight) and retry once; never a second time in one call. */
  tokenInvalid: readonly number[];
  /** Transient: retry with the normal backoff. */
  retry: readonly number[];
  /** Throttled by the platform: retry with the long backoff, keep the token. */
  throttled: readonly number[];
}

export interface RetryOptions {
  /** HTTP exchanges per call at most (token refresh retry not counted). Default 3. */
  attempts: number;
  /** Backoff base and cap for transient failures (full jitter: random 0..min(cap, base·2ⁿ)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Backoff base and cap after a throttling errcode — platforms want minutes of quiet, not ms. */
  throttledBaseDelayMs: number;
  throttledMaxDelayMs: number;
}

export const defaultRetryOptions: RetryOptions = {
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  throttledBaseDelayMs: 15_000,
  throttledMaxDelayMs: 120_000,
};

export interface LimitOptions {
  /** Every call of the account. */
  perAccount?: RateLimit;
  /** Each API of the account (the default for APIs not in `apis`). */
  perApi?: RateLimit;
  /** Per API name (e.g. `externalcontact/get`), overriding `perApi`. */
  apis?: Record<string, RateLimit>;
  /** Longest wait for a slot before failing with `rate_limited`. Default 60 s. */
  maxWaitMs?: number;
}

export interface ApiClientOptions {
  /** Short platform name for messages and limiter keys, e.g. `wecom`. */
  platform: string;
  /** Origin (and optional base path) the request paths are appended to. */
  apiBase: string;
  /** Account id (corpid, appid): keys breaker and rate limits. */
  account: string;
  /** The credential behind `token`; keys the token cache and is scrubbed from every message. */
  secret: string;
  token: TokenRequest;
  /** Name of the query parameter carrying the token. Default `access_token`. */
  tokenParam?: string;
  errcodes: ErrcodePolicy;
  /** Defaults to one in-memory limiter shared by this process. */
  limiter?: RateLimiter;
  limits?: LimitOptions;
  /** Per HTTP exchange. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  breaker?: Partial<BreakerOptions>;
  log?: Logger;
  /** Lets a connector throw its own subclass (e.g. WecomApiError). */
  createError?: (init: ApiErrorInit) => ApiError;
}

export interface CallOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** Send without an access token (public endpoints). Default false. */
  noToken?: boolean;
}

export interface ApiClient {
  /** One API call; resolves the JSON answer when errcode is 0 (or absent), else throws ApiError. */
  call<T>(method: HttpMethod, path: string, options?: CallOptions): Promise<T>;
  /** The cached token, fetched when missing (e.g. for media URLs built by hand). */
  accessToken(signal?: AbortSignal): Promise<string>;
  /** Forgets the cached token (after the secret changed). */
  invalidateToken(): void;
  breakerState(): BreakerState;
}

// Shared by all clients of the process: two clients of one account share token and breaker.
const tokens = new TokenCache();
const breakers = new Map<string, CircuitBreaker>();
let processLimiter: RateLimiter | undefined;
function sharedLimiter(): RateLimiter {
  processLimiter ??= createMemoryRateLimiter();
  return processLimiter;
}

/** `/cgi-bin/externalcontact/get` → `externalcontact/get` (the name in docs, logs and limits). */
export function apiNameOf(path: string): string {
  return (
    path
      .replace(/^\/+/, "")
      .replace(/^cgi-bin\//, "")
      .split("?")[0] ?? path
  );
}

/** `p`, or a rejection as soon as `signal` aborts (p itself keeps running for others). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(e);
      },
    );
  });
}

function backoffMs(attempt: number, base: number, cap: number): number {
  return Math.floor(Math.random() * Math.min(cap, base * 2 ** (attempt - 1)));
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { platform, account, secret, errcodes, log } = options;
  const apiBase = options.apiBase.replace(/\/+$/, "");
  // A malformed base is a configuration error: say so at construction, not on the first call.
  if (!/^https?:$/.test(new URL(apiBase).protocol)) throw new TypeError("apiBase must be an http(s) URL");
  const tokenParam = options.tokenParam ?? "access_token";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry: RetryOptions = { ...defaultRetryOptions, ...options.retry };
  const breakerOptions: BreakerOptions = { ...defaultBreakerOptions, ...options.breaker };
  const limits = options.limits ?? {};
  const limiter = options.limiter ?? sharedLimiter();
  const tokenKey = TokenCache.keyOf(apiBase, account, secret);
  const tokenApi = apiNameOf(options.token.path);
  const breakerKey = `${platform}\n${apiBase}\n${account}\n${breakerOptions.failureThreshold}/${breakerOptions.cooldownMs}`;
  let breaker = breakers.get(breakerKey);
  if (!breaker) {
    breaker = new CircuitBreaker(breakerOptions);
    breakers.set(breakerKey, breaker);
  }
  const accountBreaker = breaker;
  const makeError = options.createError ?? ((init: ApiErrorInit) => new ApiError(init));
  // The secret is scrubbed from every message, and so is the token held now (errmsgs can echo input).
  const fail = (init: Omit<ApiErrorInit, "platform">, usedToken?: string | null) =>
    makeError({
      ...init,
      platform,
      errmsg: scrub(init.errmsg, [secret, tokens.peek(tokenKey), usedToken ?? undefined]),
    });

  function buildUrl(path: string, query: Record<string, QueryValue> | undefined, token?: string): URL {
    const url = new URL(`${apiBase}${path.startsWith("/") ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    if (token !== undefined) url.searchParams.set(tokenParam, token);
    return url;
  }

  function isRetryable(kind: ApiErrorKind, errcode: number, httpStatus?: number): boolean {
    if (kind === "timeout" || kind === "network" || kind === "rate_limited") return true;
    if (kind === "http") return httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429);
    if (kind === "api") return errcodes.retry.includes(errcode) || errcodes.throttled.includes(errcode);
    return false;
  }

  /** One HTTP exchange; resolves the parsed body with errcode 0, else throws ApiError. */
  async function exchange(
    api: string,
    method: HttpMethod,
    url: URL,
    body: unknown,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<Record<string, unknown>> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const started = Date.now();
    const errorOf = (kind: ApiErrorKind, errcode: number, errmsg: string, httpStatus?: number) =>
      fail(
        {
          api,
          kind,
          errcode,
          errmsg,
          httpStatus,
          attempts: attempt,
          retryable: isRetryable(kind, errcode, httpStatus),
        },
        url.searchParams.get(tokenParam),
      );
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        signal: combined,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw errorOf("aborted", -1, "aborted by caller");
      if (timeout.aborted) throw errorOf("timeout", -1, `no answer within ${timeoutMs} ms`);
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw errorOf("network", -1, cause);
    } finally {
      log?.debug(
        { platform, api, method, url: redactUrl(url, sensitiveParams), attempt, ms: Date.now() - started },
        "api exchange",
      );
    }
    if (res.status < 200 || res.status >= 300) throw errorOf("http", -1, `HTTP ${res.status}`, res.status);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw errorOf("bad_response", -1, `not JSON (HTTP ${res.status}, ${text.length} bytes)`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw errorOf("bad_response", -1, "answer is not a JSON object");
    const answer = json as Record<string, unknown>;
    const errcode = typeof answer.errcode === "number" ? answer.errcode : 0;
    if (errcode !== 0) throw errorOf("api", errcode, String(answer.errmsg ?? ""));
    return answer;
  }

  /**
   * The fetch is shared by every caller waiting on it, so it runs on its own timeout only: one
   * caller giving up must not fail the others. That caller stops waiting on its own signal.
   */
  function fetchToken(signal: AbortSignal | undefined, attempt: number): Promise<string> {
    const req = options.token;
    const shared = tokens.get(tokenKey, async (): Promise<FetchedToken> => {
      const answer = await exchange(
        tokenApi,
        req.method,
        buildUrl(req.path, req.query),
        req.body,
        undefined,
        attempt,
      );
      const token = answer.access_token;
      const expires = Number(answer.expires_in ?? 7200);
      if (typeof token !== "string" || token === "")
        throw fail({
          api: tokenApi,
          kind: "bad_response",
          errcode: -1,
          errmsg: "no access_token in answer",
          attempts: attempt,
          retryable: false,
        });
      return { token, expiresInSec: Number.isFinite(expires) ? expires : 7200 };
    });
    return untilAborted(shared, signal, () => abortedError(tokenApi, attempt));
  }

  const abortedError = (api: string, attempt: number) =>
    fail({
      api,
      kind: "aborted",
      errcode: -1,
      errmsg: "aborted by caller",
      attempts: attempt,
      retryable: false,
    });

  async function waitForLimits(api: string, signal: AbortSignal | undefined, attempt: number) {
    const wanted: [string, RateLimit][] = [];
    if (limits.perAccount) wanted.push([`${platform}:${account}`, limits.perAccount]);
    const perApi = limits.apis?.[api] ?? limits.perApi;
    if (perApi) wanted.push([`${platform}:${account}:${api}`, perApi]);
    for (const [key, limit] of wanted) {
      try {
        await limiter.acquire(key, limit, { signal, maxWaitMs: limits.maxWaitMs ?? 60_000 });
      } catch (err) {
        if (err instanceof RateLimitTimeoutError)
          throw fail({
            api,
            kind: "rate_limited",
            errcode: -1,
            errmsg: err.message,
            attempts: attempt,
            retryable: true,
          });
        if (signal?.aborted) throw abortedError(api, attempt);
        throw err;
      }
    }
  }

  /** Failed exchanges that say the platform (or our credential) is unhealthy open the breaker. */
  function outcomeOf(err: unknown): BreakerOutcome {
    if (!(err instanceof ApiError)) return "failure";
    if (err.kind === "aborted" || err.kind === "rate_limited") return "neutral";
    // Any failed token fetch: down, or our credential is bad — either way stop hammering gettoken.
    if (err.api === tokenApi) return "failure";
    return err.retryable ? "failure" : "success";
  }

  async function attemptOnce(
    api: string,
    method: HttpMethod,
    path: string,
    opts: CallOptions,
    attempt: number,
    usedToken: { value?: string },
  ): Promise<Record<string, unknown>> {
    const circuitOpen = (retryAfterMs: number) =>
      fail({
        api,
        kind: "circuit_open",
        errcode: -1,
        errmsg: `circuit open for account ${account} after repeated failures; next probe in ${retryAfterMs} ms`,
        attempts: attempt - 1,
        retryable: true,
        retryAfterMs,
      });
    // Fail fast before waiting for a rate-limit slot: an open circuit should not use up the budget.
    const blocked = accountBreaker.blockedForMs();
    if (blocked > 0) throw circuitOpen(blocked);
    await waitForLimits(api, opts.signal, attempt);
    if (!accountBreaker.allow()) throw circuitOpen(Math.max(1, accountBreaker.blockedForMs()));
    try {
      let token: string | undefined;
      if (!opts.noToken) {
        token = await fetchToken(opts.signal, attempt);
        usedToken.value = token;
      }
      const answer = await exchange(
        api,
        method,
        buildUrl(path, opts.query, token),
        opts.body,
        opts.signal,
        attempt,
      );
      accountBreaker.record("success");
      return answer;
    } catch (err) {
      accountBreaker.record(outcomeOf(err));
      throw err;
    }
  }

  async function call<T>(method: HttpMethod, path: string, opts: CallOptions = {}): Promise<T> {
    const api = apiNameOf(path);
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const usedToken: { value?: string } = {};
      try {
        return (await attemptOnce(api, method, path, opts, attempt, usedToken)) as T;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (
          err.kind === "api" &&
          err.api === api &&
          errcodes.tokenInvalid.includes(err.errcode) &&
          !refreshed &&
          usedToken.value
        ) {
          // Once per call: a token error right after a fresh token means the credential itself is bad.
          refreshed = true;
          tokens.invalidate(tokenKey, usedToken.value);
          log?.info({ platform, api, errcode: err.errcode }, "access token refused; refetching once");
          attempt--;
          continue;
        }
        // circuit_open and rate_limited already waited or must wait longer than a call should:
        // they go back to the caller (a job retries later).
        if (!err.retryable || err.kind === "circuit_open" || err.kind === "rate_limited") throw err;
        if (attempt >= retry.attempts) throw err;
        const throttled = err.kind === "api" && errcodes.throttled.includes(err.errcode);
        const delay = throttled
          ? backoffMs(attempt, retry.throttledBaseDelayMs, retry.throttledMaxDelayMs)
          : backoffMs(attempt, retry.baseDelayMs, retry.maxDelayMs);
        log?.warn({ error: err.toJSON(), delayMs: delay }, "api call failed; retrying");
        try {
          await sleep(delay, opts.signal);
        } catch {
          throw abortedError(api, attempt);
        }
      }
    }
  }

  return {
    call,
    accessToken: (signal) => fetchToken(signal, 1),
    invalidateToken() {
      const current = tokens.peek(tokenKey);
      if (current) tokens.invalidate(tokenKey, current);
    },
    breakerState: () => accountBreaker.state,
  };
}
