import type { Scope } from "../db/index.ts";
import type { DomainEvent } from "./events.ts";

/** An outbox row as the dispatcher and deliveries see it: the event plus its outbox order. */
export interface OutboxEvent extends DomainEvent {
  /** The outbox sequence: the order of events within an aggregate for ordered subscribers. */
  seq: number;
}

interface OutboxRow {
  id: number | string;
  event_id: string;
  tenant_id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
  created_at: Date | string;
}

const columns = "id, event_id, tenant_id, type, aggregate_type, aggregate_id, payload, created_at";

export function toEvent(r: OutboxRow): OutboxEvent {
  return {
    seq: Number(r.id),
    id: r.event_id,
    type: r.type,
    tenantId: r.tenant_id,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    payload: r.payload,
    at: new Date(r.created_at).toISOString(),
  };
}

export async function insertEvent(scope: Scope, e: Omit<DomainEvent, "at">): Promise<OutboxEvent> {
  const rows = await scope.query<OutboxRow>(
    `insert into outbox (event_id, tenant_id, type, aggregate_type, aggregate_id, payload)
     values ($1, $2, $3, $4, $5, $6::jsonb) returning ${columns}`,
    [e.id, e.tenantId, e.type, e.aggregateType, e.aggregateId, JSON.stringify(e.payload)],
  );
  const row = rows[0];
  if (!row) throw new Error("outbox insert returned no row");
  return toEvent(row);
}

/** Many events with one statement, in the given order (their outbox sequence follows it). */
export async function insertEvents(scope: Scope, events: Array<Omit<DomainEvent, "at">>): Promise<void> {
  if (events.length === 0) return;
  await scope.query(
    `insert into outbox (event_id, tenant_id, type, aggregate_type, aggregate_id, payload)
     select e, t, ty, a, ai, p::jsonb
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         with ordinality as x(e, t, ty, a, ai, p, o)
      order by o`,
    [
      events.map((e) => e.id),
      events.map((e) => e.tenantId),
      events.map((e) => e.type),
      events.map((e) => e.aggregateType),
      events.map((e) => e.aggregateId),
      events.map((e) => JSON.stringify(e.payload)),
    ],
  );
}

/**
 * Takes a lease on up to `limit` undispatched rows nobody else holds, oldest first. SKIP LOCKED
 * keeps concurrent dispatchers (other processes) on disjoint rows; the lease keeps them apart after
 * this transaction commits, while the delivery jobs are being sent.
 */
export async function claimPending(scope: Scope, limit: number, leaseMs: number): Promise<OutboxEvent[]> {
  const rows = await scope.query<OutboxRow>(
    `update outbox set claimed_until = now() + make_interval(secs => $2::double precision / 1000)
     where id in (
       select id from outbox
       where dispatched_at is null and (claimed_until is null or claimed_until < now())
       order by id limit $1 for update skip locked)
     returning ${columns}`,
    [limit, leaseMs],
  );
  return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
}

/** Marks rows sent; `deliveredTo` maps each row's outbox seq to the subscribers it was sent to. */
export async function markDispatched(scope: Scope, deliveredTo: Map<number, string[]>): Promise<void> {
  // One statement per distinct subscriber list: a batch holds few event types, so few lists.
  const groups = new Map<string, { subscribers: string[]; seqs: number[] }>();
  for (const [seq, subscribers] of deliveredTo) {
    const key = subscribers.join("\n");
    const group = groups.get(key) ?? { subscribers, seqs: [] };
    group.seqs.push(seq);
    groups.set(key, group);
  }
  for (const { subscribers, seqs } of groups.values()) {
    await scope.query(
      `update outbox set dispatched_at = now(), claimed_until = null, delivered_to = $2::text[]
       where id = any($1::bigint[])`,
      [seqs, subscribers],
    );
  }
}

/** Gives a claimed batch back at once (sending failed) instead of waiting for the lease to end. */
export async function releaseClaim(scope: Scope, seqs: number[]): Promise<void> {
  if (!seqs.length) return;
  await scope.query(
    "update outbox set claimed_until = null where id = any($1::bigint[]) and dispatched_at is null",
    [seqs],
  );
}
