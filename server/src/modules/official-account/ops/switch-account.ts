import type { Scope } from "../../../platform/db/index.ts";

/** Tables whose rows made while no account was connected (`app_id` '') the next account adopts. */
const adoptable = ["oa_tag_map", "oa_templates", "oa_qr_codes", "oa_qr_events", "oa_template_batches"];

/**
 * What changes when the tenant connects another Official Account (appid `from` → `to`, in the
 * settings transaction). Rows naming the old account's ids keep their appid (history, statistics and
 * the tag map stay the old account's and come back with it); reads are scoped to the connected
 * account. Menus are the tenant's designs, so they follow: their publish state of `from` (status,
 * WeChat's menuid, a pending removal) is parked in oa_menu_account_states and the state `to` had when
 * it was connected last is brought back — a menu edited since is a draft again, and a menu deleted in
 * Siyu meanwhile that `to` still shows is removed from it now. Menus `to` never had are drafts.
 *
 * Returns the menus whose removal from `to` became pending (enqueued by the caller after commit).
 */
export async function switchOaAccount(scope: Scope, from: string, to: string): Promise<string[]> {
  if (from === to) return [];
  for (const table of adoptable) await scope.query(`update ${table} set app_id = $1 where app_id = ''`, [to]);
  // A menu WeChat may still show for `from`: published (the default), with a menuid (conditional), or
  // its removal under way or failed.
  await scope.query(
    `insert into oa_menu_account_states (tenant_id, menu_id, app_id, status, menuid, error, published_at,
       removal, removal_retries)
     select tenant_id, id, $1, status, menuid, error, published_at, removal, removal_retries from oa_menus
      where app_id = $1 and (published_at is not null or menuid is not null or removal in ('pending', 'failed'))
     on conflict (tenant_id, app_id, menu_id) do update set status = excluded.status, menuid = excluded.menuid,
       error = excluded.error, published_at = excluded.published_at, removal = excluded.removal,
       removal_retries = excluded.removal_retries, parked_at = now()`,
    [from],
  );
  await scope.query(
    `update oa_menus set app_id = $1, status = 'draft', menuid = null, error = null, published_at = null,
            removal = null, removal_retries = 0`,
    [to],
  );
  const restored = await scope.query<{ id: string; removal: string | null }>(
    `update oa_menus m set
        status = case when m.edited_at > p.parked_at then 'draft' else p.status end,
        menuid = p.menuid, error = p.error, published_at = p.published_at, removal_retries = p.removal_retries,
        removal = case
          when p.removal is null and m.deleted_at is not null
           and ((m.tag_name is null and p.published_at is not null) or (m.tag_name is not null and p.menuid is not null))
          then 'pending' else p.removal end
       from oa_menu_account_states p
      where p.menu_id = m.id and p.app_id = $1
      returning m.id, m.removal`,
    [to],
  );
  await scope.query("delete from oa_menu_account_states where app_id = $1", [to]);
  return restored.filter((r) => r.removal === "pending").map((r) => r.id);
}
