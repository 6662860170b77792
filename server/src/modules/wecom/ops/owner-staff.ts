import type { Scope } from "../../../platform/db/index.ts";

/**
 * The WeCom members (userids) who have a customer as a contact now — the customer's owner staff —
 * including through profiles merged into it (a contact row keeps the customer id it was made with).
 */
export async function ownerStaffOf(scope: Scope, customerId: string): Promise<string[]> {
  const rows = await scope.query<{ userid: string }>(
    `select distinct f.userid from wecom_follows f
       join wecom_contacts c on c.external_userid = f.external_userid
      where f.deleted_at is null
        and (c.customer_id = $1 or c.customer_id in (select id from customers where merged_into = $1))
      order by f.userid`,
    [customerId],
  );
  return rows.map((r) => r.userid);
}
