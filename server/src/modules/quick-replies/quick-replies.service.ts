import type {
  QuickReplyAttachment,
  QuickReplyCreate,
  QuickReplyDto,
  QuickReplyGroupDto,
  QuickReplySuggestion,
  QuickReplyUpdate,
} from "@siyu/contracts";
import type { Actor, AuditLog } from "../../platform/audit/audit.ts";
import type { Scope } from "../../platform/db/index.ts";
import { AppError, badRequest, forbidden, notFound } from "../../platform/errors.ts";
import type { AuthContext } from "../../platform/http/auth-context.ts";
import { newId } from "../../platform/ids/ids.ts";

/** Who is reading or writing: personal replies are theirs alone; tenant replies need `quickreplies.manage`. */
export interface Caller {
  auth: AuthContext;
  actor: Actor;
  audit: AuditLog;
}

interface ReplyRow {
  id: string;
  group_id: string | null;
  group_name: string | null;
  owner_user_id: string | null;
  title: string;
  content: string;
  attachments: QuickReplyAttachment[];
  keywords: string[];
  sort_order: number;
  use_count: number;
  last_used_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const replyColumns = `r.id, r.group_id, g.name as group_name, r.owner_user_id, r.title, r.content, r.attachments,
  r.keywords, r.sort_order, r.use_count, r.last_used_at, r.created_at, r.updated_at`;
const replyFrom =
  "quick_replies r left join quick_reply_groups g on g.id = r.group_id and g.deleted_at is null";

function toDto(r: ReplyRow): QuickReplyDto {
  return {
    id: r.id,
    groupId: r.group_name === null ? null : r.group_id,
    group: r.group_name,
    title: r.title,
    content: r.content,
    attachments: r.attachments,
    keywords: r.keywords,
    sortOrder: r.sort_order,
    useCount: r.use_count,
    personal: r.owner_user_id !== null,
    ownerUserId: r.owner_user_id,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** The visibility condition on `r`: live, and either the tenant's or the caller's own. */
function visible(params: unknown[], auth: AuthContext): string {
  params.push(auth.userId);
  return `r.deleted_at is null and (r.owner_user_id is null or r.owner_user_id = $${params.length})`;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

/** Keywords trimmed and unique regardless of case, in the order given. */
function cleanKeywords(keywords: string[] | undefined): string[] | undefined {
  if (!keywords) return undefined;
  const seen = new Set<string>();
  const out: string[] = [];
  for (const k of keywords.map((x) => x.trim()).filter(Boolean)) {
    if (seen.has(k.toLowerCase())) continue;
    seen.add(k.toLowerCase());
    out.push(k);
  }
  return out;
}

export interface ListRepliesQuery {
  q?: string;
  groupId?: string;
  scope?: "all" | "tenant" | "personal";
  limit: number;
  cursor?: string;
}

/**
 * The caller's library in (sort order, id) order, keyset-paged. `q` is a case-insensitive substring of
 * the title, the content or a keyword — any script, so 安装 finds 预约安装. `groupId` `none` is the
 * ungrouped replies.
 */
export async function listReplies(s: Scope, auth: AuthContext, q: ListRepliesQuery) {
  const params: unknown[] = [q.limit + 1];
  const where = [visible(params, auth)];
  if (q.q) {
    params.push(likePattern(q.q));
    const p = `$${params.length}`;
    where.push(
      `(r.title ilike ${p} or r.content ilike ${p} or exists (select 1 from unnest(r.keywords) k where k ilike ${p}))`,
    );
  }
  if (q.groupId === "none") where.push("(r.group_id is null or g.id is null)");
  else if (q.groupId) {
    params.push(q.groupId);
    where.push(`r.group_id = $${params.length} and g.id is not null`);
  }
  if (q.scope === "tenant") where.push("r.owner_user_id is null");
  if (q.scope === "personal") where.push("r.owner_user_id is not null");
  if (q.cursor) {
    const m = /^(-?\d{1,7})_(qr_[0-9a-z]{26})$/.exec(q.cursor);
    if (!m) throw badRequest("invalid cursor", { field: "cursor" });
    params.push(Number(m[1]), m[2]);
    where.push(`(r.sort_order, r.id) > ($${params.length - 1}::int, $${params.length})`);
  }
  const rows = await s.query<ReplyRow>(
    `select ${replyColumns} from ${replyFrom} where ${where.join(" and ")} order by r.sort_order, r.id limit $1`,
    params,
  );
  const items = rows.slice(0, q.limit).map(toDto);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > q.limit && last ? `${last.sortOrder}_${last.id}` : null };
}

/** One reply the caller can see, or 404 (another staff member's personal reply included). */
export async function getReply(s: Scope, auth: AuthContext, id: string): Promise<QuickReplyDto> {
  const params: unknown[] = [id];
  const [row] = await s.query<ReplyRow>(
    `select ${replyColumns} from ${replyFrom} where r.id = $1 and ${visible(params, auth)}`,
    params,
  );
  if (!row) throw notFound("quick reply");
  return toDto(row);
}

function assertMayEdit(auth: AuthContext, reply: { personal: boolean; ownerUserId: string | null }) {
  if (reply.personal) {
    // Only its owner sees a personal reply at all, so reaching here means the caller owns it.
    if (reply.ownerUserId !== auth.userId) throw notFound("quick reply");
    return;
  }
  if (!auth.permissions.has("quickreplies.manage"))
    throw forbidden("permission quickreplies.manage required to edit the tenant's replies");
}

async function assertGroup(s: Scope, id: string) {
  const found = await s.query("select 1 from quick_reply_groups where id = $1 and deleted_at is null", [id]);
  if (!found.length) throw notFound("quick reply group");
}

export async function createReply(s: Scope, c: Caller, input: QuickReplyCreate): Promise<QuickReplyDto> {
  const personal = input.personal ?? false;
  if (personal && !c.auth.userId)
    throw badRequest("an API key has no personal replies", { field: "personal" });
  assertMayEdit(c.auth, { personal, ownerUserId: personal ? c.auth.userId : null });
  if (input.groupId) await assertGroup(s, input.groupId);
  const id = newId("qr");
  await s.query(
    `insert into quick_replies (id, tenant_id, group_id, owner_user_id, title, content, attachments, keywords,
       sort_order, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      id,
      s.tenantId,
      input.groupId ?? null,
      personal ? c.auth.userId : null,
      input.title,
      input.content,
      JSON.stringify(input.attachments ?? []),
      cleanKeywords(input.keywords) ?? [],
      input.sortOrder ?? 0,
      c.auth.userId ?? c.auth.apiKeyId ?? null,
    ],
  );
  await c.audit.record(s, c.actor, {
    action: "quick_reply.created",
    targetType: "quick_reply",
    targetId: id,
    data: { title: input.title, personal },
  });
  return getReply(s, c.auth, id);
}

export async function updateReply(
  s: Scope,
  c: Caller,
  id: string,
  input: QuickReplyUpdate,
): Promise<QuickReplyDto> {
  const before = await getReply(s, c.auth, id);
  assertMayEdit(c.auth, before);
  if (input.groupId) await assertGroup(s, input.groupId);
  await s.query(
    `update quick_replies set title = $2, content = $3, group_id = $4, attachments = $5, keywords = $6,
       sort_order = $7, updated_at = now() where id = $1`,
    [
      id,
      input.title ?? before.title,
      input.content ?? before.content,
      input.groupId === undefined ? before.groupId : input.groupId,
      JSON.stringify(input.attachments ?? before.attachments),
      cleanKeywords(input.keywords) ?? before.keywords,
      input.sortOrder ?? before.sortOrder,
    ],
  );
  await c.audit.record(s, c.actor, {
    action: "quick_reply.updated",
    targetType: "quick_reply",
    targetId: id,
    data: { fields: Object.keys(input) },
  });
  return getReply(s, c.auth, id);
}

export async function deleteReply(s: Scope, c: Caller, id: string): Promise<void> {
  const before = await getReply(s, c.auth, id);
  assertMayEdit(c.auth, before);
  await s.query("update quick_replies set deleted_at = now(), updated_at = now() where id = $1", [id]);
  await c.audit.record(s, c.actor, {
    action: "quick_reply.deleted",
    targetType: "quick_reply",
    targetId: id,
    data: { title: before.title },
  });
}

/** Counts one use (a send). Anyone who sees a reply may use it. */
export async function countUse(s: Scope, auth: AuthContext, id: string): Promise<QuickReplyDto> {
  await getReply(s, auth, id);
  await s.query(
    "update quick_replies set use_count = use_count + 1, last_used_at = now() where id = $1 and deleted_at is null",
    [id],
  );
  return getReply(s, auth, id);
}

/**
 * Replies whose keywords occur in `text` (what the customer just wrote), case-insensitively. The score
 * is the number of keywords found — simple enough to show the staff member why ("价格, 多少钱"); ties go
 * to the reply used more often, then the library order. Without text, the most used replies (score 0).
 */
export async function suggestReplies(
  s: Scope,
  auth: AuthContext,
  text: string,
  limit: number,
): Promise<QuickReplySuggestion[]> {
  const params: unknown[] = [limit, text];
  const rows = await s.query<ReplyRow & { matched: string[] }>(
    `select * from (
       select ${replyColumns},
              array(select k from unnest(r.keywords) k where $2 <> '' and strpos(lower($2), lower(k)) > 0) as matched
         from ${replyFrom} where ${visible(params, auth)}) x
      where cardinality(matched) > 0 or $2 = ''
      order by cardinality(matched) desc, use_count desc, sort_order, id
      limit $1`,
    params,
  );
  return rows.map((r) => ({ ...toDto(r), score: r.matched.length, matched: r.matched }));
}

// Groups (categories). They belong to the tenant; only editors change them.

interface GroupRow {
  id: string;
  name: string;
  sort_order: number;
  replies: number;
  created_at: Date;
}

const groupDto = (g: GroupRow): QuickReplyGroupDto => ({
  id: g.id,
  name: g.name,
  sortOrder: g.sort_order,
  replies: g.replies,
  createdAt: g.created_at.toISOString(),
});

export async function listGroups(s: Scope, auth: AuthContext): Promise<QuickReplyGroupDto[]> {
  const params: unknown[] = [];
  const rows = await s.query<GroupRow>(
    `select g.id, g.name, g.sort_order, g.created_at,
            (select count(*)::int from quick_replies r where r.group_id = g.id and ${visible(params, auth)}) as replies
       from quick_reply_groups g where g.deleted_at is null order by g.sort_order, g.id limit 500`,
    params,
  );
  return rows.map(groupDto);
}

async function getGroup(s: Scope, auth: AuthContext, id: string): Promise<QuickReplyGroupDto> {
  const group = (await listGroups(s, auth)).find((g) => g.id === id);
  if (!group) throw notFound("quick reply group");
  return group;
}

async function assertNameFree(s: Scope, name: string, except?: string) {
  const taken = await s.query(
    "select 1 from quick_reply_groups where lower(name) = lower($1) and deleted_at is null and id <> coalesce($2, '')",
    [name, except ?? null],
  );
  if (taken.length) throw new AppError("conflict", "a quick reply group with this name exists");
}

export async function createGroup(s: Scope, c: Caller, input: { name: string; sortOrder?: number }) {
  await assertNameFree(s, input.name);
  const id = newId("qrg");
  await s.query("insert into quick_reply_groups (id, tenant_id, name, sort_order) values ($1, $2, $3, $4)", [
    id,
    s.tenantId,
    input.name,
    input.sortOrder ?? 0,
  ]);
  await c.audit.record(s, c.actor, {
    action: "quick_reply_group.created",
    targetType: "quick_reply_group",
    targetId: id,
    data: { name: input.name },
  });
  return getGroup(s, c.auth, id);
}

export async function updateGroup(
  s: Scope,
  c: Caller,
  id: string,
  input: { name?: string; sortOrder?: number },
) {
  const before = await getGroup(s, c.auth, id);
  if (input.name !== undefined) await assertNameFree(s, input.name, id);
  await s.query(
    "update quick_reply_groups set name = $2, sort_order = $3, updated_at = now() where id = $1",
    [id, input.name ?? before.name, input.sortOrder ?? before.sortOrder],
  );
  await c.audit.record(s, c.actor, {
    action: "quick_reply_group.updated",
    targetType: "quick_reply_group",
    targetId: id,
    data: { before: { name: before.name }, after: { name: input.name ?? before.name } },
  });
  return getGroup(s, c.auth, id);
}

/** Deletes a group; its replies stay, ungrouped (personal ones included). Returns how many moved. */
export async function deleteGroup(s: Scope, c: Caller, id: string): Promise<number> {
  const before = await getGroup(s, c.auth, id);
  await s.query("update quick_reply_groups set deleted_at = now(), updated_at = now() where id = $1", [id]);
  const moved = await s.query(
    "update quick_replies set group_id = null, updated_at = now() where group_id = $1 returning id",
    [id],
  );
  await c.audit.record(s, c.actor, {
    action: "quick_reply_group.deleted",
    targetType: "quick_reply_group",
    targetId: id,
    data: { name: before.name, replies: moved.length },
  });
  return moved.length;
}
