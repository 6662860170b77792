import type { Platform } from "../../../platform/platform.ts";
import { customersOfIdentities, followCustomerMerges, identityRefKey } from "../../customers/index.ts";

/**
 * A follower belongs to the surviving profile of a merge (manual, review queue or identity
 * resolution alike): a template batch aimed at the survivor (its id, a segment, a tag) finds the
 * follower. An undone merge gives each follower back to the profile holding its openid identity.
 * History (template sends, QR events) keeps the id it was made with; lists read it by the merged ids.
 */
export function subscribeOaCustomerMerges(platform: Platform): void {
  followCustomerMerges(platform, {
    name: "official-account.customer-merged",
    async repoint(scope, { sourceId, survivorId }) {
      await scope.query(
        "update oa_followers set customer_id = $2, updated_at = now() where tenant_id = $3 and customer_id = $1",
        [sourceId, survivorId, scope.tenantId],
      );
    },
    async restore(scope, { customerIds }) {
      const rows = await scope.query<{ app_id: string; openid: string; customer_id: string }>(
        "select app_id, openid, customer_id from oa_followers where tenant_id = $2 and customer_id = any($1::text[])",
        [customerIds, scope.tenantId],
      );
      const refs = rows.map((r) => ({ type: "oa_openid", scope: r.app_id, value: r.openid }));
      const owners = await customersOfIdentities(scope, refs);
      const moves = rows
        .map((r, i) => ({ ...r, owner: owners.get(identityRefKey(refs[i]!)) }))
        .filter((r): r is typeof r & { owner: string } => !!r.owner && r.owner !== r.customer_id);
      if (!moves.length) return;
      await scope.query(
        `update oa_followers f set customer_id = x.c, updated_at = now()
           from unnest($1::text[], $2::text[], $3::text[]) as x(a, o, c)
          where f.tenant_id = $4 and f.app_id = x.a and f.openid = x.o`,
        [moves.map((m) => m.app_id), moves.map((m) => m.openid), moves.map((m) => m.owner), scope.tenantId],
      );
    },
  });
}
