import { isOaApiError } from "../../../connectors/official-account/index.ts";
import { AppError } from "../../../platform/errors.ts";

/**
 * An Official Account failure in a request: WeChat's refusals (a final errcode) are 422 `oa_rejected`
 * with the errcode; outages and transient failures 502 `oa_api_error`. Never the token or secret.
 */
export function oaRouteError(err: unknown): unknown {
  if (isOaApiError(err)) {
    const rejected = err.kind === "api" && !err.retryable;
    return new AppError(
      rejected ? "oa_rejected" : "oa_api_error",
      `the Official Account refused the call: ${err.errcode} ${err.errmsg}`,
      { errcode: err.errcode },
    );
  }
  return err;
}
