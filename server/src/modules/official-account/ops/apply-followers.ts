import type { OaUserInfo } from "../../../connectors/official-account/index.ts";
import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import {
  type CustomerInput,
  type IdentityInput,
  survivingCustomerId,
  upsertCustomers,
} from "../../customers/index.ts";

/** The source a customer first met through the Official Account gets. */
export const oaCustomerSource = "official_account";

/**
 * The tenant's connected account, in SQL ('' when none is). An openid is unique only inside its
 * appid: followers are keyed by (app_id, openid), and whatever reads "the follower" reads the current
 * account's, so the followers of an account connected before keep their own customers and
 * attribution. The same holds for every row naming the account's ids (tag map, menus' menuids, QR
 * tickets, templates, sends: migrations 0037, 0039).
 */
export const currentAppSql = "coalesce((select app_id from oa_settings), '')";

/** The appid of the tenant's connected account, '' when none is (for other modules' rows of it). */
export async function connectedOaAppId(scope: Scope): Promise<string> {
  const [row] = await scope.query<{ app_id: string }>(`select ${currentAppSql} as app_id`);
  return row?.app_id ?? "";
}

export interface AppliedFollower {
  openid: string;
  customerId: string;
  created: boolean;
  unionid: string | null;
}

/**
 * Makes followers true in Siyu from what user/info (or batchget) answered: each becomes a customer
 * found or created by identity `oa_openid` (scoped to the appid) and `unionid` when known — so a
 * person WeCom already knows by that unionid is the same customer, in whichever order they arrive,
 * and a unionid that appears later (first seen without) merges the two profiles through identity
 * resolution (upsertCustomers takes the single path, which merges). Set-based: a batch of any size
 * costs a fixed number of statements. `publish: "batch"` (the full sync) sends one
 * `customers.upserted` event per call instead of one per fact.
 *
 * `infos` with `subscribe: 0` mark the follower unsubscribed (the customer stays).
 */
export async function applyFollowers(
  scope: Scope,
  platform: Platform,
  input: { appId: string; infos: OaUserInfo[]; publish?: "each" | "batch"; synced?: boolean },
): Promise<AppliedFollower[]> {
  if (input.infos.length === 0) return [];
  // One entry per openid (the last answer wins).
  const byOpenid = new Map(input.infos.map((i) => [i.openid, i]));
  const openids = [...byOpenid.keys()];
  // A unionid learned earlier stays known even when this answer lacks it.
  const known = await scope.query<{ openid: string; unionid: string | null }>(
    "select openid, unionid from oa_followers where app_id = $2 and openid = any($1::text[]) and unionid is not null",
    [openids, input.appId],
  );
  const knownUnionid = new Map(known.map((k) => [k.openid, k.unionid]));
  const unionidOf = (o: string) => byOpenid.get(o)?.unionid || knownUnionid.get(o) || null;
  const inputs: CustomerInput[] = openids.map((openid) => {
    const identities: IdentityInput[] = [{ type: "oa_openid", value: openid, scope: input.appId }];
    const unionid = unionidOf(openid);
    if (unionid) identities.push({ type: "unionid", value: unionid });
    return { identities, source: oaCustomerSource };
  });
  const results = await upsertCustomers(scope, { platform, actor: {}, cause: "sync" }, inputs, {
    publish: input.publish ?? "each",
  });
  const infos = openids.map((o) => byOpenid.get(o) as OaUserInfo);
  await scope.query(
    `insert into oa_followers (tenant_id, app_id, openid, customer_id, unionid, subscribed, subscribe_time, unsubscribed_at,
       subscribe_scene, qr_scene, tag_ids, remark, language, synced_at)
     select $1, $13, x.o, x.c, x.u, x.s, to_timestamp(x.st), case when x.s then null else now() end, x.sc, x.q,
            array(select jsonb_array_elements_text(x.t::jsonb))::int[], x.r, x.l, case when $12 then now() end
       from unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::float8[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::text[]) as x(o, c, u, s, st, sc, q, t, r, l)
     on conflict (tenant_id, app_id, openid) do update set customer_id = excluded.customer_id,
       unionid = coalesce(excluded.unionid, oa_followers.unionid), subscribed = excluded.subscribed,
       subscribe_time = coalesce(excluded.subscribe_time, oa_followers.subscribe_time),
       unsubscribed_at = case when excluded.subscribed then null
                              else coalesce(oa_followers.unsubscribed_at, now()) end,
       subscribe_scene = coalesce(excluded.subscribe_scene, oa_followers.subscribe_scene),
       qr_scene = coalesce(oa_followers.qr_scene, excluded.qr_scene), tag_ids = excluded.tag_ids,
       remark = excluded.remark, language = coalesce(excluded.language, oa_followers.language),
       synced_at = coalesce(excluded.synced_at, oa_followers.synced_at), updated_at = now()`,
    [
      scope.tenantId,
      openids,
      results.map((r) => r.id),
      openids.map(unionidOf),
      infos.map((i) => i.subscribe === 1),
      infos.map((i) => (i.subscribe_time ? i.subscribe_time : null)),
      infos.map((i) => i.subscribe_scene ?? null),
      infos.map((i) => i.qr_scene_str || (i.qr_scene ? String(i.qr_scene) : null)),
      infos.map((i) => JSON.stringify(i.tagid_list ?? [])),
      infos.map((i) => i.remark ?? ""),
      infos.map((i) => i.language ?? null),
      input.synced ?? false,
      input.appId,
    ],
  );
  return openids.map((openid, n) => ({
    openid,
    customerId: results[n]!.id,
    created: results[n]!.created,
    unionid: unionidOf(openid),
  }));
}

/** The customer a follower of the account (`appId`, default: the connected one) became, if Siyu knows it. */
export async function customerOfFollower(
  scope: Scope,
  openid: string,
  appId?: string,
): Promise<string | null> {
  const [row] = await scope.query<{ customer_id: string }>(
    `select customer_id from oa_followers where openid = $1 and app_id = coalesce($2, ${currentAppSql})`,
    [openid, appId ?? null],
  );
  // The follower row keeps the customer it was applied to; a profile merged since is the survivor now
  // (its events, results of template sends and 退订 opt-outs belong there).
  return row ? survivingCustomerId(scope, row.customer_id) : null;
}
