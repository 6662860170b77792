import { randomBytes } from "node:crypto";
import type { ContentArticleDto, ContentArticleInput, OaPassiveReplyInput } from "@siyu/contracts";
import type { PassiveReply } from "../../connectors/official-account/index.ts";
import type { Actor } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Platform } from "../../platform/platform.ts";

export interface ArticleRow {
  id: string;
  title: string;
  cover_url: string | null;
  summary: string;
  url: string;
  code: string;
  created_at: Date;
  deleted_at: Date | null;
}

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
/** Random lowercase letters and digits (short link codes, recipient tokens). */
function randomCode(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export const articleCodePattern = /^[0-9a-z]{8}$/;
export const recipientTokenPattern = /^[0-9a-z]{16}$/;

const base = (platform: Platform) => platform.config.publicUrl.replace(/\/+$/, "");
export const articleLink = (platform: Platform, code: string) => `${base(platform)}/c/${code}`;

function dto(platform: Platform, r: ArticleRow & { clicks?: number; anonymous?: number }): ContentArticleDto {
  return {
    id: r.id,
    title: r.title,
    coverUrl: r.cover_url,
    summary: r.summary,
    url: r.url,
    code: r.code,
    trackedUrl: articleLink(platform, r.code),
    clicks: r.clicks ?? 0,
    anonymousClicks: r.anonymous ?? 0,
    createdAt: r.created_at.toISOString(),
  };
}

export async function articleById(scope: Scope, id: string): Promise<ArticleRow> {
  const [row] = await scope.query<ArticleRow>("select * from content_articles where id = $1", [id]);
  if (!row || row.deleted_at) throw notFound("article");
  return row;
}

export async function listArticles(scope: Scope, platform: Platform): Promise<ContentArticleDto[]> {
  const rows = await scope.query<ArticleRow & { clicks: number; anonymous: number }>(
    `select a.*, (select count(*)::int from content_clicks c where c.article_id = a.id) as clicks,
            (select count(*)::int from content_clicks c where c.article_id = a.id and c.customer_id is null) as anonymous
       from content_articles a where a.deleted_at is null order by a.created_at desc, a.id limit 500`,
  );
  return rows.map((r) => dto(platform, r));
}

export async function saveArticle(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: Required<Pick<ContentArticleInput, "title" | "url">> & {
    coverUrl?: string | undefined;
    summary?: string;
  },
  id?: string,
): Promise<ContentArticleDto> {
  let row: ArticleRow | undefined;
  if (id) {
    [row] = await scope.query<ArticleRow>(
      `update content_articles set title = $2, cover_url = $3, summary = $4, url = $5, updated_at = now()
        where id = $1 and deleted_at is null returning *`,
      [id, input.title, input.coverUrl ?? null, input.summary ?? "", input.url],
    );
    if (!row) throw notFound("article");
  } else {
    [row] = await scope.query<ArticleRow>(
      `insert into content_articles (id, tenant_id, title, cover_url, summary, url, code, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
      [
        newId("art"),
        scope.tenantId,
        input.title,
        input.coverUrl ?? null,
        input.summary ?? "",
        input.url,
        randomCode(8),
        actor.userId ?? null,
      ],
    );
  }
  const saved = row as ArticleRow;
  await platform.audit.record(scope, actor, {
    action: id ? "content.article_updated" : "content.article_created",
    targetType: "content_article",
    targetId: saved.id,
    data: { title: saved.title, url: saved.url },
  });
  return dto(platform, saved);
}

export async function deleteArticle(scope: Scope, platform: Platform, actor: Actor, id: string) {
  const [row] = await scope.query<{ title: string }>(
    "update content_articles set deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null returning title",
    [id],
  );
  if (!row) throw notFound("article");
  await platform.audit.record(scope, actor, {
    action: "content.article_deleted",
    targetType: "content_article",
    targetId: id,
    data: { title: row.title },
  });
}

/**
 * Who a tracked link is for: a customer, or a follower (openid of the Official Account `appId`, an
 * openid being unique only inside its account) before their customer exists.
 */
export type LinkRecipient = { customerId: string } | { openid: string; appId: string };

/**
 * The recipient token of a customer (or of a follower's openid before their customer exists): made
 * once, then reused, so every link sent to one person carries the same `u`.
 */
export async function recipientToken(scope: Scope, recipient: LinkRecipient): Promise<string> {
  const byCustomer = "customerId" in recipient;
  if (byCustomer ? !recipient.customerId : !recipient.openid)
    throw new AppError("bad_request", "no recipient");
  const find = () =>
    byCustomer
      ? scope.query<{ token: string }>("select token from content_recipients where customer_id = $1", [
          recipient.customerId,
        ])
      : scope.query<{ token: string }>(
          "select token from content_recipients where app_id = $2 and openid = $1 and customer_id is null",
          [recipient.openid, recipient.appId],
        );
  const [found] = await find();
  if (found) return found.token;
  await scope.query(
    `insert into content_recipients (token, tenant_id, customer_id, openid, app_id) values ($1, $2, $3, $4, $5)
     on conflict do nothing`,
    [
      randomCode(16),
      scope.tenantId,
      byCustomer ? recipient.customerId : null,
      byCustomer ? null : recipient.openid,
      byCustomer ? null : recipient.appId,
    ],
  );
  const [made] = await find();
  if (!made) throw new Error("recipient token not stored");
  return made.token;
}

/** The tracked URL of an article for one recipient: `SIYU_PUBLIC_URL/c/<code>?u=<token>`. */
export async function trackedUrl(
  scope: Scope,
  platform: Platform,
  articleId: string,
  recipient: LinkRecipient,
): Promise<{ url: string; article: ArticleRow }> {
  const article = await articleById(scope, articleId);
  const token = await recipientToken(scope, recipient);
  return { url: `${articleLink(platform, article.code)}?u=${token}`, article };
}

/**
 * A passive reply in Siyu's shape made ready for the wire: an `article` becomes a one-article news
 * reply whose link is tracked for this follower. Runs on the callback's ack path: two short queries.
 */
export async function oaReplyFor(
  platform: Platform,
  tenantId: string,
  follower: { openid: string; appId: string },
  reply: OaPassiveReplyInput,
): Promise<PassiveReply | null> {
  if (reply.type !== "article") return reply;
  return platform.db.tenant(tenantId, async (s) => {
    const [row] = await s.query<ArticleRow>(
      "select * from content_articles where id = $1 and deleted_at is null",
      [reply.articleId],
    );
    if (!row) return null;
    const token = await recipientToken(s, follower);
    return {
      type: "news",
      articles: [
        {
          title: row.title,
          description: row.summary || undefined,
          picUrl: row.cover_url ?? undefined,
          url: `${articleLink(platform, row.code)}?u=${token}`,
        },
      ],
    } satisfies PassiveReply;
  });
}
