import type { Scope } from "../../../platform/db/index.ts";

/** Live profiles only: merged, erased and deleted ones are nobody's audience. */
const live = "c.merged_into is null and c.deleted_at is null and c.erased_at is null";

/**
 * Customers whose `birthday` attribute (YYYY-MM-DD) falls on one of `monthDays` (MM-DD), for
 * birthday journeys; in id order from `after`, at most `limit`.
 */
export async function birthdayCustomerIds(
  scope: Scope,
  input: { monthDays: string[]; limit: number; after?: string | undefined },
): Promise<string[]> {
  const rows = await scope.query<{ id: string }>(
    `select c.id from customers c
      where ${live} and substr(c.attributes->>'birthday', 6, 5) = any($1::text[])
        and ($3::text is null or c.id > $3)
      order by c.id limit $2`,
    [input.monthDays, input.limit, input.after ?? null],
  );
  return rows.map((r) => r.id);
}

/**
 * Dormant customers: known for more than `days` days with no fact on their timeline (an order, a
 * message, a tag, a visit) in the last `days` days; in id order from `after`, at most `limit`.
 */
export async function dormantCustomerIds(
  scope: Scope,
  input: { days: number; limit: number; after?: string | undefined },
): Promise<string[]> {
  const rows = await scope.query<{ id: string }>(
    `select c.id from customers c
      where ${live} and c.created_at < now() - $1::int * interval '1 day'
        and not exists (select 1 from customer_events e
                         where e.tenant_id = c.tenant_id and e.customer_id = c.id
                           and e.at >= now() - $1::int * interval '1 day')
        and ($3::text is null or c.id > $3)
      order by c.id limit $2`,
    [input.days, input.limit, input.after ?? null],
  );
  return rows.map((r) => r.id);
}

/** How many of the given customers are in each lifecycle stage (null: none set). */
export async function lifecycleStageCounts(
  scope: Scope,
  customerIds: readonly string[],
): Promise<Array<{ stage: string | null; customers: number }>> {
  if (!customerIds.length) return [];
  return scope.query<{ stage: string | null; customers: number }>(
    `select c.lifecycle_stage as stage, count(*)::int as customers from customers c
      where c.id = any($1::text[]) and ${live}
      group by 1 order by 2 desc, 1 nulls last`,
    [customerIds],
  );
}
