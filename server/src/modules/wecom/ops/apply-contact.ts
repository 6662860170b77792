import type { ExternalContact, FollowInfo, FollowUser } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import {
  appendTimeline,
  ensureTags,
  removeTagIds,
  tagsByIds,
  upsertCustomer,
  type Writer,
} from "../../customers/index.ts";

/** A follow relation as either API returns it: `get` gives tag objects, `batch/get_by_user` bare ids. */
export type AnyFollow = FollowUser | FollowInfo;

export interface ApplyContactInput {
  corpId: string;
  contact: ExternalContact;
  follows: AnyFollow[];
  /** A fact for the timeline, written once with the change (events); none for bulk sync. */
  timeline?: { type: string; data: Record<string, unknown> };
  /** The source a new customer gets (e.g. its live code); "wecom" by default. */
  source?: string;
}

function followTags(
  f: AnyFollow,
): Array<{ id: string; name?: string | undefined; group?: string | undefined }> {
  if ("tag_id" in f && Array.isArray(f.tag_id)) return f.tag_id.map((id) => ({ id }));
  if ("tags" in f && Array.isArray(f.tags)) {
    // Personal (2) and rule-group (3) tags are the member's own; only corp tags become Siyu tags.
    return f.tags
      .filter((t) => t.type === 1 && t.tag_id)
      .map((t) => ({ id: t.tag_id as string, name: t.tag_name, group: t.group_name }));
  }
  return [];
}

/** WeCom corp tag ids → Siyu tag ids, learning tags met by name in `get` answers. */
async function siyuTagIds(
  scope: Scope,
  tags: Array<{ id: string; name?: string | undefined }>,
): Promise<Map<string, string>> {
  if (tags.length === 0) return new Map();
  const ids = [...new Set(tags.map((t) => t.id))];
  const rows = await scope.query<{ wecom_id: string; siyu_tag_id: string | null }>(
    "select wecom_id, siyu_tag_id from wecom_corp_tags where wecom_id = any($1::text[]) and deleted_at is null",
    [ids],
  );
  const map = new Map(rows.filter((r) => r.siyu_tag_id).map((r) => [r.wecom_id, r.siyu_tag_id as string]));
  for (const t of tags) {
    if (map.has(t.id) || !t.name) continue;
    const [tag] = await ensureTags(scope, [t.name.slice(0, 50)]);
    if (!tag) continue;
    await scope.query(
      `insert into wecom_corp_tags (tenant_id, wecom_id, kind, name, siyu_tag_id) values ($1, $2, 'tag', $3, $4)
       on conflict (tenant_id, wecom_id) do update set siyu_tag_id = coalesce(wecom_corp_tags.siyu_tag_id, excluded.siyu_tag_id)`,
      [scope.tenantId, t.id, t.name, tag.id],
    );
    map.set(t.id, tag.id);
  }
  return map;
}

async function activeTagIds(scope: Scope, externalUserid: string): Promise<Set<string>> {
  const rows = await scope.query<{ tag_id: string }>(
    `select distinct unnest(tag_ids) as tag_id from wecom_follows
      where external_userid = $1 and deleted_at is null`,
    [externalUserid],
  );
  return new Set(rows.map((r) => r.tag_id));
}

/**
 * Makes an external contact and its follow relations true in Siyu: the customer (found or created by
 * identity `wecom_external_userid`, scoped to the corp, and `unionid`), its owner logins (the linked
 * Siyu users of its active follow staff), and its corp tags as Siyu tags. Idempotent: applying the
 * same answer twice changes nothing the second time.
 */
export async function applyContact(
  scope: Scope,
  platform: Platform,
  input: ApplyContactInput,
): Promise<{ customerId: string; created: boolean }> {
  const { contact, follows } = input;
  const ext = contact.external_userid;
  const writer: Writer = { platform, actor: {}, cause: "sync" };
  const tagsBefore = await activeTagIds(scope, ext);

  // Relations first, so owners and tags are computed from the stored state of every follow.
  for (const f of follows) {
    const tags = followTags(f);
    await siyuTagIds(scope, tags);
    await scope.query(
      `insert into wecom_follows (tenant_id, external_userid, userid, remark, description, state, add_way, tag_ids, createtime)
       values ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9))
       on conflict (tenant_id, external_userid, userid) do update set remark = excluded.remark,
         description = excluded.description, state = coalesce(excluded.state, wecom_follows.state),
         add_way = coalesce(excluded.add_way, wecom_follows.add_way), tag_ids = excluded.tag_ids,
         createtime = excluded.createtime, deleted_at = null, ended_by = null, updated_at = now()`,
      [
        scope.tenantId,
        ext,
        f.userid,
        f.remark ?? "",
        f.description ?? "",
        f.state ?? null,
        f.add_way ?? null,
        tags.map((t) => t.id),
        f.createtime ?? 0,
      ],
    );
  }
  const tagsAfter = await activeTagIds(scope, ext);
  const tagMap = await siyuTagIds(
    scope,
    [...new Set([...tagsBefore, ...tagsAfter])].map((id) => ({ id })),
  );
  const addNames: string[] = [];
  const added = [...tagsAfter].filter((t) => !tagsBefore.has(t) && tagMap.has(t));
  if (added.length) {
    const rows = await tagsByIds(
      scope,
      added.map((t) => tagMap.get(t) as string),
    );
    addNames.push(...[...rows.values()].map((r) => r.name));
  }
  const owners = await scope.query<{ user_id: string }>(
    `select distinct s.user_id from wecom_follows f join wecom_staff s on s.userid = f.userid
      where f.external_userid = $1 and f.deleted_at is null and s.user_id is not null order by s.user_id`,
    [ext],
  );

  const identities: Array<{ type: "wecom_external_userid" | "unionid"; value: string; scope?: string }> = [
    { type: "wecom_external_userid", value: ext, scope: input.corpId },
  ];
  if (contact.unionid) identities.push({ type: "unionid", value: contact.unionid });
  const result = await upsertCustomer(scope, writer, {
    name: contact.name,
    identities,
    source: input.source ?? "wecom",
    ...(owners.length ? { ownerUserIds: owners.map((o) => o.user_id) } : {}),
    ...(addNames.length ? { tags: addNames } : {}),
  });
  const removed = [...tagsBefore].filter((t) => !tagsAfter.has(t) && tagMap.has(t));
  if (removed.length) {
    await removeTagIds(
      scope,
      writer,
      result.id,
      removed.map((t) => tagMap.get(t) as string),
    );
  }

  await scope.query(
    `insert into wecom_contacts (tenant_id, external_userid, customer_id, unionid, name, type, gender, avatar, corp_name,
       corp_full_name, position)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     on conflict (tenant_id, external_userid) do update set customer_id = excluded.customer_id,
       unionid = coalesce(excluded.unionid, wecom_contacts.unionid), name = excluded.name, type = excluded.type,
       gender = excluded.gender, avatar = excluded.avatar, corp_name = excluded.corp_name,
       corp_full_name = excluded.corp_full_name, position = excluded.position, updated_at = now()`,
    [
      scope.tenantId,
      ext,
      result.id,
      contact.unionid ?? null,
      contact.name ?? "",
      contact.type ?? null,
      contact.gender ?? null,
      contact.avatar ?? null,
      contact.corp_name ?? null,
      contact.corp_full_name ?? null,
      contact.position ?? null,
    ],
  );
  if (input.timeline) {
    await appendTimeline(scope, platform.events, result.id, input.timeline.type, input.timeline.data);
  }
  return { customerId: result.id, created: result.created };
}

/** The customer an external contact became, if Siyu knows it. */
export async function customerOfContact(scope: Scope, externalUserid: string): Promise<string | null> {
  const [row] = await scope.query<{ customer_id: string }>(
    "select customer_id from wecom_contacts where external_userid = $1",
    [externalUserid],
  );
  return row?.customer_id ?? null;
}
