import type { Scope } from "../../platform/db/index.ts";
import type { AuthContext } from "../../platform/http/auth-context.ts";
import type { Platform } from "../../platform/platform.ts";
import { visibilityFilter } from "./customers.service.ts";
import { type CustomerRow, customerColumns } from "./model.ts";
import { tryNormalizePhone } from "./phone.ts";
import { findTags } from "./tags.service.ts";

export interface ListQuery {
  tags: string[];
  q?: string;
  owner?: string;
  limit: number;
  cursor?: string;
  /** An extra condition over `c` (a compiled segment), with its own parameters numbered after ours. */
  extra?: (params: unknown[]) => Promise<string>;
}

/**
 * Newest first, keyset on id (ids are time-sortable). Tags AND; `q` matches name (substring), e-mail,
 * phone in any written form (through its blind index), and any identity value.
 */
export async function listCustomers(
  scope: Scope,
  platform: Platform,
  auth: AuthContext,
  q: ListQuery,
): Promise<{ rows: CustomerRow[]; nextCursor: string | null }> {
  const params: unknown[] = [q.limit + 1];
  const where = ["c.merged_into is null", "c.deleted_at is null"];
  if (q.tags.length) {
    const tags = await findTags(
      scope,
      q.tags.map((t) => t.trim()),
    );
    // An unknown tag matches nobody.
    if (tags.length < new Set(q.tags.map((t) => t.trim().toLowerCase())).size)
      return { rows: [], nextCursor: null };
    params.push(tags.map((t) => t.num));
    where.push(`c.tag_nums @> $${params.length}::int4[]`);
  }
  if (q.q) {
    const text = q.q.trim();
    const ors: string[] = [];
    params.push(`%${text.replace(/[\\%_]/g, "\\$&")}%`);
    ors.push(`c.name ilike $${params.length}`);
    params.push(text.toLowerCase());
    ors.push(`c.email = $${params.length}`);
    const phone = tryNormalizePhone(text);
    if (phone) {
      params.push(platform.crypto.blindIndex("phone", phone));
      ors.push(`c.phone_bidx = $${params.length}`);
    }
    params.push(text);
    ors.push(`c.id in (select customer_id from customer_identities where value = $${params.length})`);
    where.push(`(${ors.join(" or ")})`);
  }
  if (q.owner) {
    params.push(q.owner);
    where.push(`$${params.length} = any(c.owner_user_ids)`);
  }
  if (q.cursor) {
    params.push(q.cursor);
    where.push(`c.id < $${params.length}`);
  }
  where.push(await visibilityFilter(scope, auth, params));
  if (q.extra) where.push(await q.extra(params));
  const rows = await scope.query<CustomerRow>(
    `select ${customerColumns
      .split(", ")
      .map((c) => `c.${c}`)
      .join(", ")} from customers c
      where ${where.join(" and ")} order by c.id desc limit $1`,
    params,
  );
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  return { rows: page, nextCursor: more ? (page.at(-1)?.id ?? null) : null };
}
