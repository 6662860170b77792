import type { Scope } from "../../../platform/db/index.ts";
import type { Platform } from "../../../platform/platform.ts";
import { survivingCustomerId } from "./surviving-customers.ts";

/** What a module does with its own rows that name a customer, when customers merge or a merge is undone. */
export interface CustomerMergeFollower {
  /** The subscriber's stable name (part of the processed-event key: never rename a live one). */
  name: string;
  /**
   * Rows kept under `sourceId` belong to `survivorId` now: the profile the source became, a chain
   * followed (A→B, then B→C before this ran: C). Runs in the delivery's tenant transaction, at most
   * once per merge; still, write it idempotently (`where customer_id = source`).
   */
  repoint(scope: Scope, input: { sourceId: string; survivorId: string }): Promise<void>;
  /**
   * A merge of these two profiles was undone and their identities went back: rows kept under either
   * go to the live profile holding the row's identity now (`customersOfIdentities`). Runs once per
   * side of the undo, so it must be idempotent.
   */
  restore(scope: Scope, input: { customerIds: [string, string] }): Promise<void>;
}

/**
 * Subscribes a module's follower of merges to `customer.merged` and `customer.unmerged`. Other modules
 * move their own rows here: the customers module never writes their tables. Deliveries are not
 * ordered, so each acts on the state now, not on the event's: a merge delivered after it was undone
 * moves nothing (the source is its own survivor again), and a merge delivered after a later merge of
 * its target goes straight to the last survivor.
 */
export function followCustomerMerges(platform: Platform, follower: CustomerMergeFollower): void {
  platform.events.subscribe({
    name: follower.name,
    events: ["customer.merged", "customer.unmerged"],
    async handler(event, scope) {
      const p = event.payload as { sourceId?: unknown; otherId?: unknown };
      if (event.type === "customer.merged") {
        if (typeof p.sourceId !== "string") return;
        const survivorId = await survivingCustomerId(scope, p.sourceId);
        if (survivorId === p.sourceId) return;
        await follower.repoint(scope, { sourceId: p.sourceId, survivorId });
        return;
      }
      if (typeof p.otherId !== "string") return;
      await follower.restore(scope, { customerIds: [event.aggregateId, p.otherId] });
    },
  });
}
