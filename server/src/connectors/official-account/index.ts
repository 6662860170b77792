/**
 * The Official Account connector's public surface: the API client (stable token, retries, limits,
 * breaker), callback verification and the three message modes, passive reply XML, and the wire
 * types. Modules never import OA wire types beyond this folder's exports.
 */

export type { CallOptions, HttpMethod, LimitOptions, RetryOptions } from "../shared/api-client.ts";
export type { ApiErrorKind } from "../shared/api-error.ts";
export {
  buildReplyXml,
  cdata,
  flattenOaMessage,
  type OaCallbackAccount,
  OaCallbackError,
  type OaCallbackFailure,
  OaCallbackVerifier,
  type OaMessageMode,
  type OaPostQuery,
  type OpenedOaMessage,
  oaMessageModes,
  oaSignature,
  type PassiveReply,
  type ReplyArticle,
  verifyOaSignature,
} from "./callback.ts";
export {
  batchGetMax,
  createOaClient,
  type OaClient,
  oaDefaultApiBase,
  oaDefaultLimits,
  oaDefaultQrBase,
  type RequestOptions,
  tagMembersMax,
} from "./client.ts";
export { isOaApiError, isRecipientGone, needsOperator, OaApiError, oaErrcodes } from "./errors.ts";
export type * from "./types.ts";
