import type { Scope } from "../../platform/db/index.ts";
import type { EventBus } from "../../platform/events/index.ts";

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
  const last = items.at(-1);
  return { items, nextCursor: rows.length > q.limit && last ? `${last.at}_${last.id}` : null };
}
