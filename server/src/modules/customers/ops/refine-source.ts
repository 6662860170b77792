import type { Scope } from "../../../platform/db/index.ts";

/**
 * Narrows a customer's first-touch source from a generic engine source to the channel that brought
 * them (e.g. `official_account` → `oa_qr:<id>`, as WeCom's `wecom` becomes `live_code:<id>` at the
 * add): only when the source is empty or one of `generic`, so a channel never overwrites another.
 * Returns whether it changed.
 */
export async function refineCustomerSource(
  scope: Scope,
  customerId: string,
  source: string,
  generic: string[],
): Promise<boolean> {
  const rows = await scope.query(
    `update customers set source = $2, updated_at = now()
      where id = $1 and (source is null or source = any($3::text[])) and source is distinct from $2
      returning id`,
    [customerId, source, generic],
  );
  return rows.length > 0;
}
