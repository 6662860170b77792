/**
 * The content library (SPEC §4): articles with tracked short links. Other modules use `trackedUrl`
 * (a link for one recipient), `articleById` and `oaReplyFor` (a passive reply linking an article).
 */
export { contentModule } from "./content.module.ts";
export { articleById, oaReplyFor, saveArticle, trackedUrl } from "./content.service.ts";
export { type OpenidResolver, registerOpenidResolver } from "./routes/tracked-link.routes.ts";
