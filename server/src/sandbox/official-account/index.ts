export { newOpenid, newUnionid, OaAccount } from "./account.ts";
export { judgeAnswer, OaCallbackSender, type OaDelivery, type OaDeliveryAttempt } from "./callback-sender.ts";
export { OaError, oaErrcodes as oaSimErrcodes } from "./errcodes.ts";
export type { OaCallbackConfig, OaFollower, OaQrCode, OaTemplateSend } from "./model.ts";
export { oaSandbox } from "./plugin.ts";
export {
  type CreateAccountInput,
  createOaSandbox,
  type FollowInput,
  OaSandbox,
  type OaSandboxOptions,
  oaTokenOverlapMs,
  oaTokenTtlSeconds,
} from "./sandbox.ts";
export { type OaStandaloneOptions, type StandaloneOaSandbox, startOaSandbox } from "./standalone.ts";
