import { ApiError, type ApiErrorInit } from "../shared/api-error.ts";

/**
 * A failed Official Account call. `errcode`/`errmsg` are WeChat's when `kind === "api"`; otherwise
 * `kind` says what happened locally and errcode is -1. `retryable` tells a job whether to try later.
 */
export class OaApiError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init);
    this.name = "OaApiError";
  }
}

export const isOaApiError = (err: unknown): err is OaApiError => err instanceof OaApiError;

/** Official Account errcodes callers branch on (protocols/official-account.md §5). */
export const oaErrcodes = {
  systemBusy: -1,
  invalidCredential: 40001,
  invalidOpenid: 40003,
  invalidAppid: 40013,
  invalidAccessToken: 40014,
  invalidTemplateId: 40037,
  invalidAppSecret: 40125,
  ipNotWhitelisted: 40164,
  accessTokenMissing: 41001,
  accessTokenExpired: 42001,
  userNotFollowing: 43004,
  dailyQuotaReached: 45009,
  minuteQuotaReached: 45011,
  argumentInvalid: 47003,
  apiUnauthorized: 48001,
  clearQuotaUsedUp: 48006,
} as const;

/** Errors an operator must fix (wrong appid/secret, IP whitelist, API not authorized), not wait out. */
export function needsOperator(err: OaApiError): boolean {
  const c = oaErrcodes;
  return (
    err.kind === "api" &&
    [c.invalidCredential, c.invalidAppid, c.invalidAppSecret, c.ipNotWhitelisted, c.apiUnauthorized].some(
      (code) => code === err.errcode,
    )
  );
}

/** The per-recipient outcomes that mean "skip this follower", not "the call failed" (§5). */
export function isRecipientGone(err: unknown): boolean {
  return (
    isOaApiError(err) &&
    (err.errcode === oaErrcodes.invalidOpenid || err.errcode === oaErrcodes.userNotFollowing)
  );
}
