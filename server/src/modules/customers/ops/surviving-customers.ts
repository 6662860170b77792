import type { Scope } from "../../../platform/db/index.ts";

/** A merge chain longer than this is treated as ending where it was cut (merges refuse cycles anyway). */
const maxDepth = 32;

/**
 * Where each customer id stands now, for rows that kept an id from before a merge (a template send
 * or mass-message recipient made at batch time): the chain of profiles from the id itself to the
 * surviving profile it was merged into (`[id]` when it was never merged; A→B then B→C gives
 * `[A, B, C]`). The survivor is the last element. An unknown id answers `[id]`. An undone merge
 * clears `merged_into`, so the chain follows only merges in force now.
 *
 * Callers check facts that may still sit on any profile of the chain (an opt-out recorded on the
 * source just before the merge, not yet copied by the `customer.merged` subscribers) and record new
 * facts on the survivor, where the timeline shows them. One query for any number of ids.
 */
export async function customerMergeChains(
  scope: Scope,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const distinct = [...new Set(ids)];
  const chains = new Map<string, string[]>(distinct.map((id) => [id, [id]]));
  if (!distinct.length) return chains;
  const rows = await scope.query<{ start: string; id: string; depth: number }>(
    `with recursive chain (start, id, merged_into, depth) as (
       select id, id, merged_into, 0 from customers where id = any($1::text[])
       union all
       select ch.start, c.id, c.merged_into, ch.depth + 1
         from chain ch join customers c on c.id = ch.merged_into
        where ch.depth < $2
     )
     select start, id, depth from chain where depth > 0 order by start, depth`,
    [distinct, maxDepth],
  );
  for (const r of rows) chains.get(r.start)?.push(r.id);
  return chains;
}

/** The surviving profile of each id (itself when never merged); see customerMergeChains. */
export async function survivingCustomerIds(
  scope: Scope,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const chains = await customerMergeChains(scope, ids);
  return new Map([...chains].map(([id, chain]) => [id, chain.at(-1) as string]));
}

/** The surviving profile of one id (itself when never merged). */
export async function survivingCustomerId(scope: Scope, id: string): Promise<string> {
  return (await survivingCustomerIds(scope, [id])).get(id) ?? id;
}

/**
 * The other way round: `id` and every profile merged into it, directly or through a chain (B→A and
 * C→B give `[A, B, C]`; `[id]` when nothing was merged into it). Rows that kept an id from before
 * a merge (template sends, mass-message recipients, tag marks) are listed for the survivor by these.
 */
export async function customerIdsMergedInto(scope: Scope, id: string): Promise<string[]> {
  const rows = await scope.query<{ id: string }>(
    `with recursive merged (id, depth) as (
       select $1::text, 0
       union all
       select c.id, m.depth + 1 from merged m join customers c on c.merged_into = m.id where m.depth < $2
     )
     select id from merged order by depth, id`,
    [id, maxDepth],
  );
  return [...new Set([id, ...rows.map((r) => r.id)])];
}

/** One identity as other modules keep it: its type, its scope (corp, appid; null: any) and value. */
export interface IdentityRef {
  type: string;
  scope: string | null;
  value: string;
}

/**
 * The live profile holding each identity now (absent when none does), keyed by `identityRefKey`.
 * Other modules re-derive their rows' customer from the identity they stored (an openid, an
 * external_userid) when a merge is undone and the identities went back to the restored profile.
 */
export async function customersOfIdentities(
  scope: Scope,
  refs: readonly IdentityRef[],
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  if (!refs.length) return owners;
  const rows = await scope.query<{ type: string; s: string | null; value: string; customer_id: string }>(
    `select distinct on (x.t, x.s, x.v) x.t as type, x.s, x.v as value, i.customer_id
       from unnest($1::text[], $2::text[], $3::text[]) as x(t, s, v)
       join customer_identities i on i.type = x.t and i.value = x.v and (x.s is null or i.scope = x.s)
       join customers c on c.id = i.customer_id and c.merged_into is null and c.deleted_at is null
      order by x.t, x.s, x.v, c.created_at, i.customer_id`,
    [refs.map((r) => r.type), refs.map((r) => r.scope), refs.map((r) => r.value)],
  );
  for (const r of rows)
    owners.set(identityRefKey({ type: r.type, scope: r.s, value: r.value }), r.customer_id);
  return owners;
}

export const identityRefKey = (r: IdentityRef): string => `${r.type}\u0000${r.scope ?? ""}\u0000${r.value}`;
