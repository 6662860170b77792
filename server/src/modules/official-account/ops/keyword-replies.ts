import type { OaKeywordReplyDto, OaKeywordReplyInput, OaPassiveReplyInput } from "@siyu/contracts";
import type { PassiveReply } from "../../../connectors/official-account/index.ts";
import type { Actor } from "../../../platform/audit/audit.ts";
import type { Scope } from "../../../platform/db/index.ts";
import { AppError } from "../../../platform/errors.ts";
import { newId } from "../../../platform/ids/ids.ts";
import type { Platform } from "../../../platform/platform.ts";
import { oaReplyFor } from "../../content/index.ts";
import type { PassiveReplyProvider } from "../passive-replies.ts";

interface Row {
  id: string;
  keyword: string;
  match: "exact" | "contains";
  reply: OaKeywordReplyDto["reply"];
  enabled: boolean;
  priority: number;
  created_at: Date;
  updated_at: Date;
}

const dto = (r: Row): OaKeywordReplyDto => ({
  id: r.id,
  keyword: r.keyword,
  match: r.match,
  reply: r.reply,
  enabled: r.enabled,
  priority: r.priority,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export async function listKeywordReplies(scope: Scope): Promise<OaKeywordReplyDto[]> {
  const rows = await scope.query<Row>(
    "select * from oa_keyword_replies where deleted_at is null order by priority desc, created_at, id",
  );
  return rows.map(dto);
}

type Input = Required<Pick<OaKeywordReplyInput, "keyword" | "reply">> &
  Omit<OaKeywordReplyInput, "keyword" | "reply">;

export async function saveKeywordReply(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  input: Input,
  id?: string,
): Promise<OaKeywordReplyDto> {
  const values = [
    input.keyword.trim(),
    input.match ?? "exact",
    JSON.stringify(input.reply),
    input.enabled ?? true,
    input.priority ?? 0,
  ];
  let row: Row | undefined;
  try {
    if (id) {
      [row] = await scope.query<Row>(
        `update oa_keyword_replies set keyword = $2, match = $3, reply = $4, enabled = $5, priority = $6, updated_at = now()
          where id = $1 and deleted_at is null returning *`,
        [id, ...values],
      );
      if (!row) throw new AppError("not_found", "no such auto-reply");
    } else {
      [row] = await scope.query<Row>(
        `insert into oa_keyword_replies (id, tenant_id, keyword, match, reply, enabled, priority, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
        [newId("oar"), scope.tenantId, ...values, actor.userId ?? null],
      );
    }
  } catch (err) {
    if ((err as { code?: string }).code === "23505")
      throw new AppError("conflict", "an auto-reply with this keyword and match exists");
    throw err;
  }
  const saved = row as Row;
  await platform.audit.record(scope, actor, {
    action: id ? "official_account.auto_reply_updated" : "official_account.auto_reply_created",
    targetType: "oa_keyword_reply",
    targetId: saved.id,
    data: { keyword: saved.keyword, match: saved.match, enabled: saved.enabled },
  });
  if (scope.tenantId) forgetKeywordReplies(scope.tenantId);
  return dto(saved);
}

export async function deleteKeywordReply(
  scope: Scope,
  platform: Platform,
  actor: Actor,
  id: string,
): Promise<void> {
  const [row] = await scope.query<{ keyword: string }>(
    "update oa_keyword_replies set deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null returning keyword",
    [id],
  );
  if (!row) throw new AppError("not_found", "no such auto-reply");
  await platform.audit.record(scope, actor, {
    action: "official_account.auto_reply_deleted",
    targetType: "oa_keyword_reply",
    targetId: id,
    data: { keyword: row.keyword },
  });
  if (scope.tenantId) forgetKeywordReplies(scope.tenantId);
}

// ── the provider: matching from a per-process cache (the callback must not wait for the database) ──

interface Rule {
  id: string;
  keyword: string;
  match: "exact" | "contains";
  reply: PassiveReply | OaPassiveReplyInput;
}
const ttlMs = 30_000;
const cache = new Map<string, { rules: Rule[]; loadedAt: number }>();
const loading = new Map<string, Promise<Rule[]>>();

export function forgetKeywordReplies(tenantId: string): void {
  cache.delete(tenantId);
}

async function rulesOf(platform: Platform, tenantId: string): Promise<Rule[]> {
  const hit = cache.get(tenantId);
  if (hit && Date.now() - hit.loadedAt < ttlMs) return hit.rules;
  const pending = loading.get(tenantId);
  if (pending) return pending;
  const load = platform.db
    .tenant(tenantId, (s) =>
      s.query<Row>(
        "select * from oa_keyword_replies where deleted_at is null and enabled order by priority desc, created_at, id",
      ),
    )
    .then((rows) => {
      const rules = rows.map((r) => ({
        id: r.id,
        keyword: r.keyword.toLowerCase(),
        match: r.match,
        reply: r.reply as PassiveReply | OaPassiveReplyInput,
      }));
      cache.set(tenantId, { rules, loadedAt: Date.now() });
      return rules;
    })
    .finally(() => loading.delete(tenantId));
  loading.set(tenantId, load);
  return load;
}

/** The rule a text matches: an exact match first, else the first `contains` rule (by priority). */
export function matchKeyword<R extends { keyword: string; match: "exact" | "contains" }>(
  rules: R[],
  text: string,
): R | null {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  return (
    rules.find((r) => r.match === "exact" && r.keyword === t) ??
    rules.find((r) => r.match === "contains" && t.includes(r.keyword)) ??
    null
  );
}

/** Text messages matched against the tenant's keyword table (exact, then contains). */
export function keywordReplyProvider(platform: Platform): PassiveReplyProvider {
  return async (ctx) => {
    if (ctx.msgType !== "text" || !ctx.content) return null;
    const rule = matchKeyword(await rulesOf(platform, ctx.tenantId), ctx.content);
    if (!rule) return null;
    // A content-library article becomes a news reply whose link is tracked for this follower.
    const reply = rule.reply;
    return reply.type === "article"
      ? oaReplyFor(platform, ctx.tenantId, { openid: ctx.openid, appId: ctx.appId }, reply)
      : (reply as PassiveReply);
  };
}
