import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";
import type { Writer } from "./customers.service.ts";
import { type CustomerRow, customerColumns } from "./model.ts";
import { recordCustomerEvent } from "./timeline.ts";

type Snapshot = Omit<CustomerRow, "created_at" | "updated_at" | "tenant_id"> & { updated_at: string };

function snapshot(r: CustomerRow): Snapshot {
  const { created_at: _c, tenant_id: _t, ...rest } = r;
  return { ...rest, updated_at: r.updated_at.toISOString() };
}

/**
 * Merges `sourceId` into `targetId`: identities and timeline move to the target, tags and owners
 * are united, attributes are merged with the more recently updated profile winning, and the source
 * is kept (hidden, `merged_into`) so the merge can be undone. Other modules move their references on
 * the `customer.merged` event. Concurrent merges of the same customers serialise on row locks; the
 * loser gets `conflict`.
 */
export async function mergeCustomers(
  scope: Scope,
  w: Writer,
  input: { targetId: string; sourceId: string; reason: string },
): Promise<{ mergeId: string }> {
  const { targetId, sourceId } = input;
  if (targetId === sourceId)
    throw new AppError("validation_failed", "a customer cannot be merged into itself");
  const rows = await scope.query<CustomerRow>(
    `select ${customerColumns} from customers where id = any($1::text[]) and deleted_at is null order by id for update`,
    [[targetId, sourceId]],
  );
  const target = rows.find((r) => r.id === targetId);
  const source = rows.find((r) => r.id === sourceId);
  if (!target || !source) throw notFound("customer");
  if (target.merged_into || source.merged_into) {
    throw new AppError("conflict", "one of these customers has already been merged");
  }

  const moved = await scope.query<{ type: string; scope: string; value: string }>(
    "update customer_identities set customer_id = $1 where customer_id = $2 returning type, scope, value",
    [targetId, sourceId],
  );
  const events = await scope.query<{ id: number }>(
    "update customer_events set customer_id = $1 where customer_id = $2 returning id",
    [targetId, sourceId],
  );
  // The tenant's rule for attributes both profiles hold with different values: "newest" (the more
  // recently updated profile's value wins) or "keep_both" (the surviving profile keeps its own).
  // Either way the other value is kept: in the merge record and on the timeline entry.
  const [settings] = await scope.query<{ rule: string | null }>(
    "select settings->'customers'->>'mergeAttributes' as rule from tenants where id = $1",
    [scope.tenantId],
  );
  const sourceWins = settings?.rule !== "keep_both" && source.updated_at > target.updated_at;
  const attributes = sourceWins
    ? { ...target.attributes, ...source.attributes }
    : { ...source.attributes, ...target.attributes };
  const conflicts: Record<string, { kept: unknown; other: unknown }> = {};
  for (const [key, value] of Object.entries(source.attributes)) {
    const mine = target.attributes[key];
    if (
      mine === undefined ||
      mine === null ||
      value === null ||
      JSON.stringify(mine) === JSON.stringify(value)
    )
      continue;
    conflicts[key] = sourceWins ? { kept: value, other: mine } : { kept: mine, other: value };
  }
  await scope.query(
    `update customers set
       name = case when name = '' then $2 else name end,
       phone_enc = coalesce(phone_enc, $3), phone_bidx = coalesce(phone_bidx, $4),
       email = coalesce(email, $5),
       attributes = $6,
       tag_nums = array(select distinct unnest(tag_nums || $7::int4[])),
       owner_user_ids = array(select distinct unnest(owner_user_ids || $8::text[])),
       lifecycle_stage = coalesce(lifecycle_stage, $9), source = coalesce(source, $10),
       updated_at = now()
     where id = $1`,
    [
      targetId,
      source.name,
      source.phone_enc,
      source.phone_bidx,
      source.email,
      JSON.stringify(attributes),
      source.tag_nums,
      source.owner_user_ids,
      source.lifecycle_stage,
      source.source,
    ],
  );
  await scope.query("update customers set merged_into = $1, updated_at = now() where id = $2", [
    targetId,
    sourceId,
  ]);
  // Merged candidates pairs involving the source are settled.
  await scope.query(
    "update merge_candidates set status = 'accepted', decided_at = now(), decided_by = $2 where status = 'open' and $1 in (customer_a, customer_b)",
    [sourceId, w.actor.userId ?? null],
  );
  const mergeId = newId("mrg");
  await scope.query(
    `insert into customer_merges (id, tenant_id, target_id, source_id, reason, target_before, source_before,
       moved_identities, moved_event_ids, actor_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      mergeId,
      scope.tenantId,
      targetId,
      sourceId,
      input.reason,
      JSON.stringify(snapshot(target)),
      JSON.stringify(snapshot(source)),
      JSON.stringify(moved),
      events.map((e) => e.id),
      w.actor.userId ?? null,
    ],
  );
  await recordCustomerEvent(scope, w.platform.events, targetId, "customer.merged", {
    mergeId,
    sourceId,
    reason: input.reason,
    cause: w.cause,
    rule: settings?.rule === "keep_both" ? "keep_both" : "newest",
    conflicts,
  });
  await w.platform.audit.record(scope, w.actor, {
    action: "customer.merged",
    targetType: "customer",
    targetId,
    data: { sourceId, mergeId, reason: input.reason },
  });
  return { mergeId };
}

/** Puts both profiles back as they were before the merge, with what moved moved back. */
export async function undoMerge(scope: Scope, w: Writer, mergeId: string) {
  const [m] = await scope.query<{
    target_id: string;
    source_id: string;
    target_before: Snapshot;
    source_before: Snapshot;
    moved_identities: Array<{ type: string; scope: string; value: string }>;
    moved_event_ids: number[];
    undone_at: Date | null;
  }>("select * from customer_merges where id = $1 for update", [mergeId]);
  if (!m) throw notFound("merge");
  if (m.undone_at) throw new AppError("conflict", "this merge has already been undone");
  const [target] = await scope.query<{ merged_into: string | null }>(
    "select merged_into from customers where id = $1 for update",
    [m.target_id],
  );
  if (target?.merged_into)
    throw new AppError("conflict", "the merged profile was merged again; undo that merge first");
  const t = m.target_before;
  await scope.query(
    `update customers set name = $2, phone_enc = $3, phone_bidx = $4, email = $5, attributes = $6, tag_nums = $7,
       owner_user_ids = $8, lifecycle_stage = $9, source = $10, updated_at = now() where id = $1`,
    [
      m.target_id,
      t.name,
      t.phone_enc,
      t.phone_bidx,
      t.email,
      JSON.stringify(t.attributes),
      t.tag_nums,
      t.owner_user_ids,
      t.lifecycle_stage,
      t.source,
    ],
  );
  await scope.query("update customers set merged_into = null, updated_at = now() where id = $1", [
    m.source_id,
  ]);
  const ids = m.moved_identities;
  if (ids.length) {
    await scope.query(
      `update customer_identities set customer_id = $1 where customer_id = $2
         and (type, scope, value) in (select * from unnest($3::text[], $4::text[], $5::text[]))`,
      [m.source_id, m.target_id, ids.map((i) => i.type), ids.map((i) => i.scope), ids.map((i) => i.value)],
    );
  }
  if (m.moved_event_ids.length) {
    await scope.query("update customer_events set customer_id = $1 where id = any($2::bigint[])", [
      m.source_id,
      m.moved_event_ids,
    ]);
  }
  await scope.query("update customer_merges set undone_at = now() where id = $1", [mergeId]);
  for (const [id, other] of [
    [m.target_id, m.source_id],
    [m.source_id, m.target_id],
  ] as const) {
    await recordCustomerEvent(scope, w.platform.events, id, "customer.unmerged", {
      mergeId,
      otherId: other,
      cause: w.cause,
    });
  }
  await w.platform.audit.record(scope, w.actor, {
    action: "customer.unmerged",
    targetType: "customer",
    targetId: m.target_id,
    data: { sourceId: m.source_id, mergeId },
  });
}

/** Company domains only: a shared public mail provider says nothing about two people being one. */
const publicMail = [
  "qq.com",
  "163.com",
  "126.com",
  "gmail.com",
  "outlook.com",
  "hotmail.com",
  "sina.com",
  "foxmail.com",
  "yahoo.com",
];

/**
 * Weaker evidence goes to the review queue instead of merging: the same name in the same city, or
 * the same name and e-mail domain (not a public mail provider).
 */
export async function suggestMerges(scope: Scope, customerId: string): Promise<number> {
  return suggestMergesFor(scope, [customerId]);
}

/**
 * The review-queue suggestions for many customers at once (an import batch): one query finds the
 * pairs (at most 20 per customer, each pair once however many of its two ends are in `ids`), one
 * insert queues them. Customers without a name, or with neither a city nor a company e-mail
 * domain, cannot match and cost nothing but the primary-key probe.
 */
export async function suggestMergesFor(scope: Scope, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const pairs = await scope.query<{ a: string; b: string; reason: string; score: number }>(
    `select distinct on (least(c.id, o.id), greatest(c.id, o.id))
            least(c.id, o.id) as a, greatest(c.id, o.id) as b, o.reason, o.score
       from customers c
       cross join lateral (
         select o.id,
                case when c.attributes->>'city' is not null and o.attributes->>'city' = c.attributes->>'city'
                     then 'same name and city' else 'same name and e-mail domain' end as reason,
                case when c.attributes->>'city' is not null and o.attributes->>'city' = c.attributes->>'city'
                     then 0.7 else 0.6 end::real as score
           from customers o
          where o.tenant_id = c.tenant_id and o.name = c.name and o.name <> '' and o.id <> c.id
            and o.merged_into is null and o.deleted_at is null
            and ((c.attributes->>'city' is not null and o.attributes->>'city' = c.attributes->>'city')
              or (c.email is not null and o.email is not null
                  and split_part(o.email, '@', 2) = split_part(c.email, '@', 2)
                  and not (split_part(c.email, '@', 2) = any($2::text[]))))
          limit 20) o
      where c.id = any($1::text[]) and c.name <> ''
        and (c.attributes->>'city' is not null
          or (c.email is not null and not (split_part(c.email, '@', 2) = any($2::text[]))))
      order by least(c.id, o.id), greatest(c.id, o.id), o.score desc`,
    [ids, publicMail],
  );
  if (pairs.length === 0) return 0;
  await scope.query(
    `insert into merge_candidates (id, tenant_id, customer_a, customer_b, reason, score)
     select x.id, $1, x.a, x.b, x.reason, x.score
       from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::real[]) as x(id, a, b, reason, score)
     on conflict (tenant_id, customer_a, customer_b) do nothing`,
    [
      scope.tenantId,
      pairs.map(() => newId("mc")),
      pairs.map((p) => p.a),
      pairs.map((p) => p.b),
      pairs.map((p) => p.reason),
      pairs.map((p) => p.score),
    ],
  );
  return pairs.length;
}
