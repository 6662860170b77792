export { quickRepliesModule } from "./quick-replies.module.ts";
export { getReply, listReplies, suggestReplies } from "./quick-replies.service.ts";
