/**
 * The WeCom connector's public surface: the API client (tokens, retries, limits, breaker) and
 * the wire types. Modules never import WeCom types; the WeCom module maps them to ours.
 */

export type { RateLimit, RateLimiter } from "../../platform/ratelimit/index.ts";
export type { CallOptions, HttpMethod, LimitOptions, RetryOptions } from "../shared/api-client.ts";
export type { ApiErrorKind } from "../shared/api-error.ts";
export type { BreakerOptions, BreakerState } from "../shared/circuit-breaker.ts";
export { createWecomClient, type RequestOptions, type WecomClient, wecomDefaultLimits } from "./client.ts";
export { isWecomApiError, needsOperator, WecomApiError, wecomErrcodes } from "./errors.ts";
export type * from "./types.ts";
