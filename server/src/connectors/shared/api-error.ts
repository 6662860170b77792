/**
 * What went wrong talking to an outside token API. `kind` says where it failed; `errcode`/`errmsg`
 * are the platform's own when `kind` is `api`, else -1 and a short local description.
 * Messages never carry secrets or access tokens (the client scrubs them before building one).
 */
export type ApiErrorKind =
  /** The platform answered errcode ≠ 0. */
  | "api"
  /** HTTP status other than 2xx. */
  | "http"
  /** No complete answer within the per-request timeout. */
  | "timeout"
  /** Connection refused/reset, DNS… */
  | "network"
  /** 2xx but not the JSON we expect. */
  | "bad_response"
  /** The account's circuit breaker is open: failed fast without calling. */
  | "circuit_open"
  /** Waited longer than allowed for a rate-limit slot. */
  | "rate_limited"
  /** The caller's AbortSignal fired. */
  | "aborted";

export interface ApiErrorInit {
  platform: string;
  api: string;
  kind: ApiErrorKind;
  errcode: number;
  errmsg: string;
  /** Worth trying again later (jobs retry these; permanent ones go to the dead letter / an alert). */
  retryable: boolean;
  httpStatus?: number;
  /** HTTP exchanges made for this call before giving up. */
  attempts: number;
  /** For `circuit_open`: ms until the breaker lets a probe through. */
  retryAfterMs?: number;
}

export class ApiError extends Error {
  readonly platform: string;
  readonly api: string;
  readonly kind: ApiErrorKind;
  readonly errcode: number;
  readonly errmsg: string;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;

  constructor(init: ApiErrorInit) {
    const what =
      init.kind === "api" ? `errcode ${init.errcode}: ${init.errmsg}` : `${init.kind}: ${init.errmsg}`;
    super(`${init.platform} ${init.api} failed (${what})`);
    this.name = "ApiError";
    this.platform = init.platform;
    this.api = init.api;
    this.kind = init.kind;
    this.errcode = init.errcode;
    this.errmsg = init.errmsg;
    this.retryable = init.retryable;
    this.httpStatus = init.httpStatus;
    this.attempts = init.attempts;
    this.retryAfterMs = init.retryAfterMs;
  }

  get permanent(): boolean {
    return !this.retryable;
  }

  /** Structured form for logs and job error records. */
  toJSON() {
    return {
      name: this.name,
      message: this.message,
      platform: this.platform,
      api: this.api,
      kind: this.kind,
      errcode: this.errcode,
      errmsg: this.errmsg,
      retryable: this.retryable,
      httpStatus: this.httpStatus,
      attempts: this.attempts,
      retryAfterMs: this.retryAfterMs,
    };
  }
}
