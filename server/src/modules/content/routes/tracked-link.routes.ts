import type { FastifyReply, FastifyRequest } from "fastify";
import type { Scope } from "../../../platform/db/index.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Api, Platform } from "../../../platform/platform.ts";
import { appendTimeline } from "../../customers/index.ts";
import { articleCodePattern, recipientTokenPattern } from "../content.service.ts";

/** Finds the customer of a follower's openid in its account (registered by the Official Account engine). */
export type OpenidResolver = (scope: Scope, openid: string, appId: string) => Promise<string | null>;
const resolvers = new WeakMap<Platform, OpenidResolver>();
export function registerOpenidResolver(platform: Platform, resolve: OpenidResolver): void {
  resolvers.set(platform, resolve);
}

/**
 * The tracked short link of an article (`SIYU_PUBLIC_URL/c/<code>?u=<token>`, public): records the
 * click — on the recipient's timeline as `content.clicked` when the token names one (a follower's
 * token whose customer now exists is bound to it), anonymous otherwise — and redirects to the article.
 * The code is unique across tenants; the click is written in the article's tenant.
 */
export async function trackedLinkRoutes(app: Api, platform: Platform) {
  app.get(
    "/c/:code",
    { config: { public: true }, schema: { hide: true } },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const code = (req.params as { code?: string }).code ?? "";
      const u = (req.query as { u?: unknown }).u;
      const token = typeof u === "string" && recipientTokenPattern.test(u) ? u : null;
      const missing = () =>
        reply
          .status(404)
          .type("text/html; charset=utf-8")
          .send("<!doctype html><p>链接不存在 / Link not found</p>");
      if (!articleCodePattern.test(code)) return missing();
      const [article] = await platform.db.system((s) =>
        s.query<{ id: string; tenant_id: string; title: string; url: string; deleted_at: Date | null }>(
          "select id, tenant_id, title, url, deleted_at from content_articles where code = $1",
          [code],
        ),
      );
      if (!article) return missing();
      const ua =
        typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"].slice(0, 500) : null;
      await platform.db.tenant(article.tenant_id, async (s) => {
        let customerId: string | null = null;
        if (token) {
          const [r] = await s.query<{
            customer_id: string | null;
            openid: string | null;
            app_id: string | null;
          }>("select customer_id, openid, app_id from content_recipients where token = $1", [token]);
          customerId = r?.customer_id ?? null;
          const resolve = resolvers.get(platform);
          if (r && !customerId && r.openid && r.app_id !== null && resolve) {
            // The follower of the account the link was sent from, whichever account is connected now.
            customerId = await resolve(s, r.openid, r.app_id);
            if (customerId) {
              // Bind the follower's token to the customer they became (unless that customer has one).
              await s.query(
                `update content_recipients set customer_id = $2 where token = $1
                   and not exists (select 1 from content_recipients x where x.customer_id = $2)`,
                [token, customerId],
              );
            }
          }
        }
        await s.query(
          `insert into content_clicks (id, tenant_id, article_id, customer_id, token, user_agent)
           values ($1, $2, $3, $4, $5, $6)`,
          [newId("clk"), article.tenant_id, article.id, customerId, token, ua],
        );
        if (customerId)
          await appendTimeline(s, platform.events, customerId, "content.clicked", {
            articleId: article.id,
            title: article.title,
            url: article.url,
          });
      });
      return reply
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .redirect(article.url, 302);
    },
  );
}
