import type { Scope } from "../../platform/db/index.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { newId } from "../../platform/ids/ids.ts";

export interface TagRow {
  id: string;
  /** Per-row integer that customers.tag_nums holds; never leaves the server. */
  num: number;
  name: string;
  color: string;
  group_id: string | null;
  group_name: string | null;
}

export const tagColors = [
  "blue",
  "green",
  "gold",
  "red",
  "purple",
  "cyan",
  "magenta",
  "orange",
  "lime",
  "geekblue",
  "volcano",
];

export function cleanTagName(name: string): string {
  const clean = name.normalize("NFC").trim().replace(/\s+/g, " ");
  if (!clean) throw new AppError("validation_failed", "tag name must not be empty", { field: "tags" });
  if ([...clean].length > 50)
    throw new AppError("validation_failed", "tag name is longer than 50 characters", { field: "tags" });
  return clean;
}

/** Tag ids for names, creating the missing ones (case-insensitive match keeps one tag per name). */
export async function ensureTags(scope: Scope, names: string[]): Promise<TagRow[]> {
  const clean = [...new Map(names.map((n) => cleanTagName(n)).map((n) => [n.toLowerCase(), n])).values()];
  if (clean.length === 0) return [];
  const found = await findTags(scope, clean);
  const have = new Set(found.map((t) => t.name.toLowerCase()));
  const missing = clean.filter((n) => !have.has(n.toLowerCase()));
  if (missing.length) {
    for (const name of missing) {
      const color = tagColors[Math.abs(hash(name)) % tagColors.length] ?? "blue";
      await scope.query(
        `insert into tags (id, tenant_id, name, color) values ($1, $2, $3, $4)
         on conflict (tenant_id, lower(name)) where deleted_at is null do nothing`,
        [newId("tag"), scope.tenantId, name, color],
      );
    }
    return findTags(scope, clean);
  }
  return found;
}

export async function findTags(scope: Scope, names: string[]): Promise<TagRow[]> {
  if (names.length === 0) return [];
  return scope.query<TagRow>(
    `select t.id, t.num, t.name, t.color, t.group_id, g.name as group_name from tags t
       left join tag_groups g on g.id = t.group_id
      where t.deleted_at is null and lower(t.name) = any($1::text[])`,
    [names.map((n) => n.toLowerCase())],
  );
}

export async function tagsByIds(scope: Scope, ids: string[]): Promise<Map<string, TagRow>> {
  if (ids.length === 0) return new Map();
  const rows = await scope.query<TagRow>(
    `select t.id, t.num, t.name, t.color, t.group_id, g.name as group_name from tags t
       left join tag_groups g on g.id = t.group_id where t.id = any($1::text[])`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Tags by their per-row numbers (as held in customers.tag_nums), deleted ones included. */
export async function tagsByNums(scope: Scope, nums: number[]): Promise<Map<number, TagRow>> {
  if (nums.length === 0) return new Map();
  const rows = await scope.query<TagRow>(
    `select t.id, t.num, t.name, t.color, t.group_id, g.name as group_name from tags t
       left join tag_groups g on g.id = t.group_id where t.num = any($1::int4[])`,
    [[...new Set(nums)]],
  );
  return new Map(rows.map((r) => [r.num, r]));
}

export async function listTags(scope: Scope) {
  const rows = await scope.query<TagRow & { customers: number }>(
    `select t.id, t.num, t.name, t.color, t.group_id, g.name as group_name,
            (select count(*)::int from customers c where c.tag_nums @> array[t.num]
               and c.merged_into is null and c.deleted_at is null) as customers
       from tags t left join tag_groups g on g.id = t.group_id
      where t.deleted_at is null order by g.name nulls first, t.name`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    color: r.color,
    groupId: r.group_id,
    group: r.group_name,
    customers: r.customers,
  }));
}

export async function getTag(scope: Scope, id: string) {
  const [row] = await scope.query<TagRow>(
    `select t.id, t.num, t.name, t.color, t.group_id, g.name as group_name from tags t
       left join tag_groups g on g.id = t.group_id where t.id = $1 and t.deleted_at is null`,
    [id],
  );
  if (!row) throw notFound("tag");
  return row;
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + (ch.codePointAt(0) ?? 0)) | 0;
  return h;
}
