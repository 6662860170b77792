/**
 * The Official Account engine's public surface. Other modules use:
 * - `oaEvents`: the domain event names (also the customer timeline types) to subscribe to;
 * - `registerPassiveReplyProvider`: answer a follower's message inside the callback (keyword
 *   auto-replies, welcome on follow, menu answers) from cached data;
 * - `oaClient` / `requireOaSettings`: the tenant's API client (QR codes, templates, tags, menus);
 * - `customerOfFollower`, `applyFollowers`: follower ↔ customer;
 * - `connectedOaAppId`: the appid of the connected account, for rows of it kept by other modules;
 * - `startOaSync`: a follower full sync.
 */
export {
  field as oaField,
  handledOaKinds,
  type OaEventName,
  type OaEventPayload,
  oaEventIdentity,
  oaEvents,
  oaInboxPlatform,
  sceneOf,
} from "./events.ts";
export { startOaSync } from "./jobs/sync.job.ts";
export { oaClient, requireOaSettings } from "./oa-client.ts";
export { officialAccountModule } from "./official-account.module.ts";
export {
  type AppliedFollower,
  applyFollowers,
  connectedOaAppId,
  customerOfFollower,
  oaCustomerSource,
} from "./ops/apply-followers.ts";
export { forgetKeywordReplies, matchKeyword, saveKeywordReply } from "./ops/keyword-replies.ts";
export { mapAndSyncTag, publishMenus, saveMenu } from "./ops/menus.ts";
export { oaRouteError } from "./ops/route-error.ts";
export { startTemplateSend, syncTemplates } from "./ops/templates.ts";
export { saveWelcome } from "./ops/welcome.ts";
export {
  findPassiveReply,
  type PassiveReplyContext,
  type PassiveReplyProvider,
  passiveReplyBudgetMs,
  registerPassiveReplyProvider,
} from "./passive-replies.ts";
export type { OaAccountSettings } from "./settings.service.ts";
