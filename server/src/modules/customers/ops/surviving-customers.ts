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
