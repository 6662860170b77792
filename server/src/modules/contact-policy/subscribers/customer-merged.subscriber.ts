import type { Platform } from "../../../platform/platform.ts";

/**
 * One person, one policy: when two profiles merge, the kept one inherits the other's opt-outs and
 * counted touches (a customer who said 退订 on one profile stays opted out, caps keep counting). The
 * source's rows stay, so an undone merge loses nothing.
 */
export function subscribeCustomerMerged(platform: Platform) {
  platform.events.subscribe({
    name: "contact-policy.customer-merged",
    events: ["customer.merged"],
    async handler(event, s) {
      const sourceId = (event.payload as { sourceId?: unknown }).sourceId;
      if (typeof sourceId !== "string") return;
      const targetId = event.aggregateId;
      await s.query(
        `insert into contact_opt_outs (tenant_id, customer_id, channel, source, note, created_by, created_at)
         select tenant_id, $2, channel, source, note, created_by, created_at from contact_opt_outs where customer_id = $1
         on conflict do nothing`,
        [sourceId, targetId],
      );
      await s.query(
        `insert into contact_touches (tenant_id, channel, customer_id, ref, purpose, counted, at, local_day)
         select tenant_id, channel, $2, ref, purpose, counted, at, local_day from contact_touches where customer_id = $1
         on conflict do nothing`,
        [sourceId, targetId],
      );
    },
  });
}
