import type { Platform } from "../../../platform/platform.ts";
import { customersOfIdentities, followCustomerMerges, identityRefKey } from "../../customers/index.ts";

/**
 * An external contact (and its group-chat memberships) belongs to the surviving profile of a merge
 * (manual, review queue or identity resolution alike): a mass message, tag mark or owner lookup aimed
 * at the survivor finds the contact. An undone merge gives each contact back to the profile holding
 * its external_userid identity. History (mass-message recipients, tag marks, transfers) keeps the id
 * it was made with; lists read it by the merged ids.
 */
export function subscribeWecomCustomerMerges(platform: Platform): void {
  followCustomerMerges(platform, {
    name: "wecom.customer-merged",
    async repoint(scope, { sourceId, survivorId }) {
      const params = [sourceId, survivorId, scope.tenantId];
      await scope.query(
        "update wecom_contacts set customer_id = $2, updated_at = now() where tenant_id = $3 and customer_id = $1",
        params,
      );
      await scope.query(
        "update wecom_group_members set customer_id = $2 where tenant_id = $3 and customer_id = $1",
        params,
      );
    },
    async restore(scope, { customerIds }) {
      const rows = await scope.query<{ external_userid: string; customer_id: string }>(
        "select external_userid, customer_id from wecom_contacts where tenant_id = $2 and customer_id = any($1::text[])",
        [customerIds, scope.tenantId],
      );
      // The identity's scope is the corp; a tenant's external_userids are its corp's.
      const refs = rows.map((r) => ({
        type: "wecom_external_userid",
        scope: null,
        value: r.external_userid,
      }));
      const owners = await customersOfIdentities(scope, refs);
      const moves = rows
        .map((r, i) => ({ ...r, owner: owners.get(identityRefKey(refs[i]!)) }))
        .filter((r): r is typeof r & { owner: string } => !!r.owner && r.owner !== r.customer_id);
      if (!moves.length) return;
      await scope.query(
        `update wecom_contacts c set customer_id = x.c, updated_at = now()
           from unnest($1::text[], $2::text[]) as x(e, c)
          where c.tenant_id = $3 and c.external_userid = x.e`,
        [moves.map((m) => m.external_userid), moves.map((m) => m.owner), scope.tenantId],
      );
      await scope.query(
        `update wecom_group_members g set customer_id = x.c
           from unnest($1::text[], $2::text[]) as x(e, c)
          where g.tenant_id = $3 and g.member_id = x.e`,
        [moves.map((m) => m.external_userid), moves.map((m) => m.owner), scope.tenantId],
      );
    },
  });
}
