import type { Platform } from "../../../platform/platform.ts";
import {
  customersOfIdentities,
  followCustomerMerges,
  type IdentityRef,
  identityRefKey,
} from "../../customers/index.ts";

/**
 * Channel attribution follows the person: a live-code add and an OA QR event name the surviving
 * profile of a merge, so "which channel brought this customer" (the first add or scan of any of the
 * merged profiles) reads one customer. An undone merge gives each row back to the profile holding its
 * identity (the add's external_userid, the event's openid in its account).
 */
export function subscribeChannelCustomerMerges(platform: Platform): void {
  followCustomerMerges(platform, {
    name: "channels.customer-merged",
    async repoint(scope, { sourceId, survivorId }) {
      const params = [sourceId, survivorId, scope.tenantId];
      await scope.query(
        "update channel_adds set customer_id = $2 where tenant_id = $3 and customer_id = $1",
        params,
      );
      await scope.query(
        "update oa_qr_events set customer_id = $2 where tenant_id = $3 and customer_id = $1",
        params,
      );
    },
    async restore(scope, { customerIds }) {
      const adds = await scope.query<{ id: string; external_userid: string; customer_id: string }>(
        "select id, external_userid, customer_id from channel_adds where tenant_id = $2 and customer_id = any($1::text[])",
        [customerIds, scope.tenantId],
      );
      const events = await scope.query<{ id: string; app_id: string; openid: string; customer_id: string }>(
        "select id, app_id, openid, customer_id from oa_qr_events where tenant_id = $2 and customer_id = any($1::text[])",
        [customerIds, scope.tenantId],
      );
      const addRefs: IdentityRef[] = adds.map((a) => ({
        type: "wecom_external_userid",
        scope: null,
        value: a.external_userid,
      }));
      const eventRefs: IdentityRef[] = events.map((e) => ({
        type: "oa_openid",
        scope: e.app_id,
        value: e.openid,
      }));
      const owners = await customersOfIdentities(scope, [...addRefs, ...eventRefs]);
      const moved = <R extends { id: string; customer_id: string }>(rows: R[], refs: IdentityRef[]) =>
        rows
          .map((r, i) => ({ id: r.id, from: r.customer_id, to: owners.get(identityRefKey(refs[i]!)) }))
          .filter((m): m is { id: string; from: string; to: string } => !!m.to && m.to !== m.from);
      for (const [table, moves] of [
        ["channel_adds", moved(adds, addRefs)],
        ["oa_qr_events", moved(events, eventRefs)],
      ] as const) {
        if (!moves.length) continue;
        await scope.query(
          `update ${table} t set customer_id = x.c from unnest($1::text[], $2::text[]) as x(id, c)
            where t.tenant_id = $3 and t.id = x.id`,
          [moves.map((m) => m.id), moves.map((m) => m.to), scope.tenantId],
        );
      }
    },
  });
}
