import type { Scope } from "../../platform/db/index.ts";
import type { EventBus } from "../../platform/events/index.ts";
import { isContactIdentityType } from "./resolve.ts";

/**
 * Writes one fact about a person: a timeline row, and the same fact as a domain event in the
 * outbox (same transaction), so other modules and tag rules react to it.
 */
export async function recordCustomerEvent(
  scope: Scope,
  events: EventBus,
  customerId: string,
  type: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await scope.query(
    "insert into customer_events (tenant_id, customer_id, type, data) values ($1, $2, $3, $4)",
    [scope.tenantId, customerId, type, JSON.stringify(data)],
  );
  await events.publish(scope, {
    type,
    aggregateType: "customer",
    aggregateId: customerId,
    payload: { customerId, ...data },
  });
}

/** One fact about one customer, for `recordCustomerEvents`. */
export interface CustomerFact {
  customerId: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Many facts at once (bulk writers): the timeline rows with one insert and, when `publish` is set,
 * the same facts as domain events with one outbox insert — what `recordCustomerEvent` writes for
 * each, in the given order, in two statements instead of two per fact.
 */
export async function recordCustomerEvents(
  scope: Scope,
  events: EventBus,
  facts: CustomerFact[],
  options: { publish: boolean },
): Promise<void> {
  if (facts.length === 0) return;
  await scope.query(
    `insert into customer_events (tenant_id, customer_id, type, data)
     select $1, c, t, d::jsonb from unnest($2::text[], $3::text[], $4::text[]) with ordinality as x(c, t, d, o)
      order by o`,
    [
      scope.tenantId,
      facts.map((f) => f.customerId),
      facts.map((f) => f.type),
      facts.map((f) => JSON.stringify(f.data)),
    ],
  );
  if (!options.publish) return;
  await events.publishMany(
    scope,
    facts.map((f) => ({
      type: f.type,
      aggregateType: "customer",
      aggregateId: f.customerId,
      payload: { customerId: f.customerId, ...f.data },
    })),
  );
}

export async function listTimeline(
  scope: Scope,
  customerId: string,
  q: { limit: number; cursor?: string; type?: string; before?: string },
) {
  const params: unknown[] = [customerId, q.limit + 1];
  const where = ["customer_id = $1"];
  if (q.type) {
    params.push(q.type.endsWith("*") ? `${q.type.slice(0, -1).replace(/[\\%_]/g, "\\$&")}%` : q.type);
    where.push(q.type.endsWith("*") ? `type like $${params.length}` : `type = $${params.length}`);
  }
  if (q.before) {
    params.push(q.before);
    where.push(`at < $${params.length}::timestamptz`);
  }
  // Keyset on (at, id): facts synced from stores may arrive later than they happened.
  const cursor = q.cursor ? /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_(\d+)$/.exec(q.cursor) : null;
  if (cursor) {
    params.push(cursor[1], cursor[2]);
    where.push(`(at, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  const rows = await scope.query<{ id: number; type: string; at: Date; data: Record<string, unknown> }>(
    `select id, type, at, data from customer_events where ${where.join(" and ")} order by at desc, id desc limit $2`,
    params,
  );
  const items = rows
    .slice(0, q.limit)
    .map((r) => ({ id: String(r.id), type: r.type, at: r.at.toISOString(), data: r.data }));
  await fillIdentityValues(scope, customerId, items);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > q.limit && last ? `${last.at}_${last.id}` : null };
}

/**
 * `customer.identity_added` facts written before they named the identity carry only its type: they
 * get the value and scope of the customer's one identity of that type (none is guessed when the
 * customer holds several, say two Official Accounts' openids). Contact details stay out.
 */
async function fillIdentityValues(
  scope: Scope,
  customerId: string,
  items: Array<{ type: string; data: Record<string, unknown> }>,
): Promise<void> {
  const bare = items.filter(
    (i) =>
      i.type === "customer.identity_added" &&
      typeof i.data.type === "string" &&
      i.data.value === undefined &&
      !isContactIdentityType(i.data.type),
  );
  if (bare.length === 0) return;
  const rows = await scope.query<{ type: string; scope: string; value: string }>(
    "select type, scope, value from customer_identities where customer_id = $1 and type = any($2::text[])",
    [customerId, [...new Set(bare.map((i) => i.data.type as string))]],
  );
  for (const i of bare) {
    const same = rows.filter((r) => r.type === i.data.type);
    if (same.length !== 1) continue;
    i.data = { ...i.data, value: same[0]!.value, ...(same[0]!.scope ? { scope: same[0]!.scope } : {}) };
  }
}
