import type { ContactChannel, ContactPurpose, DenyReason } from "@siyu/contracts";
import type { Scope } from "../../../platform/db/index.ts";
import { badRequest } from "../../../platform/errors.ts";
import { customerMergeChains } from "../../customers/index.ts";
import { loadPolicy } from "../policy.service.ts";
import { zonedTime } from "../zone-time.ts";
import { inScope, type ScopeOrDb } from "./decide.ts";

export interface RecheckInput {
  tenantId: string;
  customerIds: readonly string[];
  channel: ContactChannel;
  purpose: ContactPurpose;
  /** The ref the touches were reserved under (reserve's `ref`). */
  ref: string;
}

export interface RecheckResult {
  /** Still allowed: send to these. */
  allowed: string[];
  /** Refused now; their touches under `ref` are released. */
  refused: Array<{ customerId: string; reason: DenyReason }>;
}

/**
 * Releases touches reserved under `ref` for customers who were not sent after all (refused when the
 * send came, or no longer reachable): deleted, so a message that never went out counts toward no cap
 * and no dashboard figure. Idempotent; a customer with no touch under `ref` is a no-op. Returns how
 * many were released.
 */
export function releaseReservation(
  target: ScopeOrDb,
  input: { tenantId: string; customerIds: readonly string[]; channel: ContactChannel; ref: string },
): Promise<number> {
  if (!input.ref) throw badRequest("ref is required");
  return inScope(target, input.tenantId, (s) => release(s, input.channel, input.customerIds, input.ref));
}

async function release(s: Scope, channel: ContactChannel, ids: readonly string[], ref: string) {
  if (!ids.length) return 0;
  const rows = await s.query(
    `delete from contact_touches where tenant_id = $1 and channel = $2 and ref = $3 and customer_id = any($4::text[])
     returning customer_id`,
    [s.tenantId, channel, ref, [...new Set(ids)]],
  );
  return rows.length;
}

/**
 * The send-time check of a reservation made earlier (a batch created now, sent later): asks again
 * only what can change in between and costs one indexed query — opt-outs of the channel or of all
 * marketing. Caps and quiet hours are not decided again: the reservation already holds the customer's
 * place under the cap and the batch already waited for quiet hours to end. Customers refused now get
 * their touch under `ref` released and the refusal tallied for the dashboard, in the caller's
 * transaction (so the caller records the skip in the same commit). Transactional touches on a channel
 * that exempts them are always allowed, as in reserve().
 *
 * A reservation keeps the customer id of its time; if that profile was merged since, the person is
 * the surviving profile now. An opt-out on any profile of the merge chain (the survivor's, or the
 * source's not yet copied by the merge subscriber) refuses the id given, and the touches under `ref`
 * of every profile of the chain are released (the merge subscriber copies touches to the survivor).
 * This errs towards not sending: a batch made before the merge stays refused by the source's opt-out
 * even if the survivor opted in since; batches made after name the survivor alone. Results name the
 * ids as given, so callers update their own rows.
 */
export function recheckReservation(target: ScopeOrDb, input: RecheckInput): Promise<RecheckResult> {
  if (!input.ref) throw badRequest("ref is required");
  return inScope(target, input.tenantId, async (s) => {
    const ids = [...new Set(input.customerIds)];
    if (!ids.length) return { allowed: [], refused: [] };
    const { zone, policy } = await loadPolicy(s, input.channel);
    if (input.purpose === "transactional" && policy.transactionalExempt) return { allowed: ids, refused: [] };
    const chains = await customerMergeChains(s, ids);
    const chainOf = (id: string) => chains.get(id) ?? [id];
    const optedOut = new Set(
      (
        await s.query<{ customer_id: string }>(
          `select distinct customer_id from contact_opt_outs
            where customer_id = any($1::text[]) and channel = any($2::text[])`,
          [[...new Set(ids.flatMap(chainOf))], ["all", input.channel]],
        )
      ).map((r) => r.customer_id),
    );
    if (!optedOut.size) return { allowed: ids, refused: [] };
    const isOptedOut = (id: string) => chainOf(id).some((x) => optedOut.has(x));
    const refused = ids
      .filter(isOptedOut)
      .map((customerId) => ({ customerId, reason: "opted_out" as const }));
    if (!refused.length) return { allowed: ids, refused: [] };
    await release(
      s,
      input.channel,
      refused.flatMap((r) => chainOf(r.customerId)),
      input.ref,
    );
    await s.query(
      `insert into contact_denials_daily (tenant_id, local_day, channel, reason, n)
       values ($1, $2::date, $3, 'opted_out', $4)
       on conflict (tenant_id, local_day, channel, reason) do update set n = contact_denials_daily.n + excluded.n`,
      [s.tenantId, zonedTime(new Date(), zone).date, input.channel, refused.length],
    );
    return { allowed: ids.filter((id) => !isOptedOut(id)), refused };
  });
}
