import type { Scope } from "../../../platform/db/index.ts";

/** Ids of live customers holding a tag (by name), keyset-paged on id (audiences of sends, tag syncs). */
export async function customerIdsWithTag(
  scope: Scope,
  tagName: string,
  q: { limit: number; after?: string | null },
): Promise<string[]> {
  const rows = await scope.query<{ id: string }>(
    `select c.id from customers c join tags t on lower(t.name) = lower($1) and t.deleted_at is null and t.num = any(c.tag_nums)
      where c.merged_into is null and c.deleted_at is null and ($3::text is null or c.id > $3)
      order by c.id limit $2`,
    [tagName, q.limit, q.after ?? null],
  );
  return rows.map((r) => r.id);
}

/** Names of live customers by id (for personalising messages). */
export async function customerNames(scope: Scope, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await scope.query<{ id: string; name: string }>(
    "select id, name from customers where id = any($1::text[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}
