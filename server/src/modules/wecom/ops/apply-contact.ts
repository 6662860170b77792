import type { ExternalContact, FollowInfo, FollowUser } from "../../../connectors/wecom/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import {
  appendTimeline,
  type CustomerInput,
  cleanTagName,
  ensureTags,
  type IdentityInput,
  removeTagIds,
  tagsByIds,
  upsertCustomers,
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

/**
 * WeCom corp tag ids → Siyu tag ids with one lookup, learning the tags met by name in `get` answers
 * (one `ensureTags` and one insert for all of them).
 */
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
  const learn = new Map<string, string>();
  for (const t of tags) if (!map.has(t.id) && t.name && !learn.has(t.id)) learn.set(t.id, t.name);
  if (learn.size === 0) return map;
  const siyu = await ensureTags(
    scope,
    [...learn.values()].map((n) => n.slice(0, 50)),
  );
  const byName = new Map(siyu.map((t) => [t.name.toLowerCase(), t.id]));
  const found = [...learn].flatMap(([id, name]) => {
    const tagId = byName.get(cleanTagName(name.slice(0, 50)).toLowerCase());
    return tagId ? [{ id, name, tagId }] : [];
  });
  if (found.length) {
    await scope.query(
      `insert into wecom_corp_tags (tenant_id, wecom_id, kind, name, siyu_tag_id)
       select $1, w, 'tag', n, t from unnest($2::text[], $3::text[], $4::text[]) as x(w, n, t)
       on conflict (tenant_id, wecom_id) do update set siyu_tag_id = coalesce(wecom_corp_tags.siyu_tag_id, excluded.siyu_tag_id)`,
      [scope.tenantId, found.map((f) => f.id), found.map((f) => f.name), found.map((f) => f.tagId)],
    );
    for (const f of found) map.set(f.id, f.tagId);
  }
  return map;
}

/** One external contact with the follow relations an answer gave for it. */
export interface ContactItem {
  contact: ExternalContact;
  follows: AnyFollow[];
  /** A fact for the timeline, written once with the change (events); none for bulk sync. */
  timeline?: { type: string; data: Record<string, unknown> };
  /** The source a new customer gets (e.g. its live code); "wecom" by default. */
  source?: string;
}

/**
 * Makes external contacts and their follow relations true in Siyu: each customer (found or created
 * by identity `wecom_external_userid`, scoped to the corp, and `unionid`), its owner logins (the
 * linked Siyu users of its active follow staff), and its corp tags as Siyu tags. Set-based: a page
 * of 100 contacts costs a fixed number of statements (follows and contacts upserted with one
 * statement each, tags mapped once, customers through `upsertCustomers`). A contact listed several
 * times (one entry per follow staff, as batch/get_by_user answers) is one contact. Idempotent:
 * applying the same answer twice changes nothing the second time (no row, fact or event).
 * The customers' facts are on their timelines either way; `publish: "batch"` sends one event for
 * the page instead of one per fact.
 */
export async function applyContacts(
  scope: Scope,
  platform: Platform,
  input: {
    corpId: string;
    items: ContactItem[];
    /**
     * How the customer facts are published: one domain event each (default, as for a single
     * write), or one `customers.upserted` for the page (the full sync; see upsertCustomers).
     */
    publish?: "each" | "batch";
  },
): Promise<Array<{ externalUserid: string; customerId: string; created: boolean }>> {
  if (input.items.length === 0) return [];
  const writer: Writer = { platform, actor: {}, cause: "sync" };

  // One entry per contact (its last answer wins) and per relation (idem).
  const contacts = new Map<string, ExternalContact>();
  const follows = new Map<string, { ext: string; f: AnyFollow; tags: ReturnType<typeof followTags> }>();
  for (const item of input.items) {
    const ext = item.contact.external_userid;
    contacts.set(ext, item.contact);
    for (const f of item.follows) follows.set(`${ext}\u0000${f.userid}`, { ext, f, tags: followTags(f) });
  }
  const exts = [...contacts.keys()];

  // The relations as stored before this answer, and after it (the answer's on top): owners and tags
  // are computed from every relation of the contact, not only the ones in this answer.
  const stored = await scope.query<{ external_userid: string; userid: string; tag_ids: string[] }>(
    "select external_userid, userid, tag_ids from wecom_follows where external_userid = any($1::text[]) and deleted_at is null",
    [exts],
  );
  const before = new Map<string, Map<string, string[]>>(exts.map((e) => [e, new Map()]));
  for (const r of stored) before.get(r.external_userid)?.set(r.userid, r.tag_ids);
  const after = new Map<string, Map<string, string[]>>(exts.map((e) => [e, new Map(before.get(e))]));
  for (const { ext, f, tags } of follows.values())
    after.get(ext)?.set(
      f.userid,
      tags.map((t) => t.id),
    );
  const tagSet = (m: Map<string, string[]> | undefined) => new Set([...(m?.values() ?? [])].flat());

  const tagMap = await siyuTagIds(scope, [
    ...[...follows.values()].flatMap((f) => f.tags),
    ...stored.flatMap((r) => r.tag_ids).map((id) => ({ id })),
  ]);
  const staff = await scope.query<{ userid: string; user_id: string }>(
    "select userid, user_id from wecom_staff where userid = any($1::text[]) and user_id is not null",
    [[...new Set([...after.values()].flatMap((m) => [...m.keys()]))]],
  );
  const loginOf = new Map(staff.map((r) => [r.userid, r.user_id]));

  if (follows.size) {
    const list = [...follows.values()];
    // Unchanged relations are left alone (no write), so a repeated answer writes nothing.
    await scope.query(
      `insert into wecom_follows (tenant_id, external_userid, userid, remark, description, state, add_way, tag_ids, createtime)
       select $1, x.e, x.u, x.r, x.d, x.s, x.w, array(select jsonb_array_elements_text(x.t::jsonb)), to_timestamp(x.c)
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::float8[])
           as x(e, u, r, d, s, w, t, c)
       on conflict (tenant_id, external_userid, userid) do update set remark = excluded.remark,
         description = excluded.description, state = coalesce(excluded.state, wecom_follows.state),
         add_way = coalesce(excluded.add_way, wecom_follows.add_way), tag_ids = excluded.tag_ids,
         createtime = excluded.createtime, deleted_at = null, ended_by = null, updated_at = now()
       where (wecom_follows.remark, wecom_follows.description, wecom_follows.state, wecom_follows.add_way,
              wecom_follows.tag_ids, wecom_follows.createtime, wecom_follows.deleted_at, wecom_follows.ended_by)
         is distinct from (excluded.remark, excluded.description, coalesce(excluded.state, wecom_follows.state),
              coalesce(excluded.add_way, wecom_follows.add_way), excluded.tag_ids, excluded.createtime, null, null)`,
      [
        scope.tenantId,
        list.map((x) => x.ext),
        list.map((x) => x.f.userid),
        list.map((x) => x.f.remark ?? ""),
        list.map((x) => x.f.description ?? ""),
        list.map((x) => x.f.state ?? null),
        list.map((x) => x.f.add_way ?? null),
        list.map((x) => JSON.stringify(x.tags.map((t) => t.id))),
        list.map((x) => x.f.createtime ?? 0),
      ],
    );
  }

  // Tags newly held through some relation are added to the customer, tags no relation holds any
  // more are removed; owners are the logins of the active follow staff.
  const addedIds = new Map<string, string[]>();
  const removedIds = new Map<string, string[]>();
  for (const ext of exts) {
    const was = tagSet(before.get(ext));
    const now = tagSet(after.get(ext));
    addedIds.set(
      ext,
      [...now].filter((t) => !was.has(t) && tagMap.has(t)).map((t) => tagMap.get(t) as string),
    );
    removedIds.set(
      ext,
      [...was].filter((t) => !now.has(t) && tagMap.has(t)).map((t) => tagMap.get(t) as string),
    );
  }
  const names = await tagsByIds(scope, [...addedIds.values()].flat());
  const sources = new Map<string, string>();
  for (const item of input.items) if (item.source) sources.set(item.contact.external_userid, item.source);
  const inputs: CustomerInput[] = exts.map((ext) => {
    const contact = contacts.get(ext) as ExternalContact;
    const identities: IdentityInput[] = [{ type: "wecom_external_userid", value: ext, scope: input.corpId }];
    if (contact.unionid) identities.push({ type: "unionid", value: contact.unionid });
    const owners = [
      ...new Set(
        [...(after.get(ext)?.keys() ?? [])].map((u) => loginOf.get(u)).filter((u): u is string => !!u),
      ),
    ].sort();
    const tags = (addedIds.get(ext) ?? []).map((id) => names.get(id)?.name).filter((n): n is string => !!n);
    return {
      name: contact.name,
      identities,
      source: sources.get(ext) ?? "wecom",
      ...(owners.length ? { ownerUserIds: owners } : {}),
      ...(tags.length ? { tags } : {}),
    };
  });
  const results = await upsertCustomers(scope, writer, inputs, { publish: input.publish ?? "each" });
  const customerOf = new Map(exts.map((ext, i) => [ext, results[i]!]));
  // Rare in a sync (a tag taken off in WeCom since the last one): the single path, per customer.
  for (const [ext, removed] of removedIds) {
    if (removed.length) await removeTagIds(scope, writer, customerOf.get(ext)!.id, removed);
  }

  await scope.query(
    `insert into wecom_contacts (tenant_id, external_userid, customer_id, unionid, name, type, gender, avatar, corp_name,
       corp_full_name, position)
     select $1, x.* from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int2[], $8::text[],
                                $9::text[], $10::text[], $11::text[])
       as x(e, c, u, n, t, g, a, cn, cf, p)
     on conflict (tenant_id, external_userid) do update set customer_id = excluded.customer_id,
       unionid = coalesce(excluded.unionid, wecom_contacts.unionid), name = excluded.name, type = excluded.type,
       gender = excluded.gender, avatar = excluded.avatar, corp_name = excluded.corp_name,
       corp_full_name = excluded.corp_full_name, position = excluded.position, updated_at = now()
     where (wecom_contacts.customer_id, wecom_contacts.unionid, wecom_contacts.name, wecom_contacts.type,
            wecom_contacts.gender, wecom_contacts.avatar, wecom_contacts.corp_name, wecom_contacts.corp_full_name,
            wecom_contacts.position)
       is distinct from (excluded.customer_id, coalesce(excluded.unionid, wecom_contacts.unionid), excluded.name,
            excluded.type, excluded.gender, excluded.avatar, excluded.corp_name, excluded.corp_full_name,
            excluded.position)`,
    [
      scope.tenantId,
      exts,
      exts.map((e) => customerOf.get(e)!.id),
      exts.map((e) => contacts.get(e)!.unionid ?? null),
      exts.map((e) => contacts.get(e)!.name ?? ""),
      exts.map((e) => contacts.get(e)!.type ?? null),
      exts.map((e) => contacts.get(e)!.gender ?? null),
      exts.map((e) => contacts.get(e)!.avatar ?? null),
      exts.map((e) => contacts.get(e)!.corp_name ?? null),
      exts.map((e) => contacts.get(e)!.corp_full_name ?? null),
      exts.map((e) => contacts.get(e)!.position ?? null),
    ],
  );
  for (const item of input.items) {
    if (!item.timeline) continue;
    const r = customerOf.get(item.contact.external_userid)!;
    await appendTimeline(scope, platform.events, r.id, item.timeline.type, item.timeline.data);
  }
  return exts.map((ext) => ({
    externalUserid: ext,
    customerId: customerOf.get(ext)!.id,
    created: customerOf.get(ext)!.created,
  }));
}

/** One contact (an event's answer): a one-element `applyContacts`. */
export async function applyContact(
  scope: Scope,
  platform: Platform,
  input: ApplyContactInput,
): Promise<{ customerId: string; created: boolean }> {
  const [r] = await applyContacts(scope, platform, {
    corpId: input.corpId,
    items: [
      {
        contact: input.contact,
        follows: input.follows,
        ...(input.timeline ? { timeline: input.timeline } : {}),
        ...(input.source ? { source: input.source } : {}),
      },
    ],
  });
  return { customerId: r!.customerId, created: r!.created };
}

/** The customer an external contact became, if Siyu knows it. */
export async function customerOfContact(scope: Scope, externalUserid: string): Promise<string | null> {
  const [row] = await scope.query<{ customer_id: string }>(
    "select customer_id from wecom_contacts where external_userid = $1",
    [externalUserid],
  );
  return row?.customer_id ?? null;
}
