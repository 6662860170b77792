import { ApiError, type ApiErrorInit } from "../shared/api-error.ts";

/**
 * A failed WeCom call. `errcode`/`errmsg` are WeCom's when `kind === "api"`; otherwise `kind`
 * (`timeout`, `network`, `http`, `circuit_open`, `rate_limited`, `aborted`, `bad_response`)
 * says what happened locally and errcode is -1. `retryable` tells a job whether to try later.
 */
export class WecomApiError extends ApiError {
  constructor(init: ApiErrorInit) {
    super(init);
    this.name = "WecomApiError";
  }
}

export const isWecomApiError = (err: unknown): err is WecomApiError => err instanceof WecomApiError;

/** WeCom errcodes callers branch on (protocols/wecom.md §2.2). */
export const wecomErrcodes = {
  systemBusy: -1,
  invalidCredential: 40001,
  invalidCorpId: 40013,
  invalidAccessToken: 40014,
  accessTokenMissing: 41001,
  accessTokenExpired: 42001,
  frequencyExceeded: 45009,
  tooManyConcurrent: 45033,
  apiForbidden: 48002,
  ipNotTrusted: 60020,
  invalidExternalUserId: 40096,
  noRelationship: 84061,
} as const;

/** Errors an operator must fix (wrong secret, app not allowed, IP not trusted) rather than wait out. */
export function needsOperator(err: WecomApiError): boolean {
  const c = wecomErrcodes;
  return (
    err.kind === "api" &&
    [c.invalidCredential, c.invalidCorpId, c.apiForbidden, c.ipNotTrusted].some(
      (code) => code === err.errcode,
    )
  );
}
