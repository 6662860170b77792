import type { Database } from "../db/index.ts";
import { type QueueName, RetryLater } from "../jobs/jobs.ts";
import type { DomainEvent, Subscriber } from "./events.ts";
import type { OutboxEvent } from "./outbox.ts";

/** The data of a delivery job: one event for one subscriber. */
export interface DeliveryJob {
  subscriber: string;
  event: OutboxEvent;
}

/**
 * One job name per engine queue, because a job name belongs to one queue and each subscriber picks
 * its queue. The idempotency key `eventId:subscriber` is unique within the name.
 */
export const deliverJobName = (queue: QueueName) => `events.deliver.${queue}`;
export const deliveryKey = (eventId: string, subscriber: string) => `${eventId}:${subscriber}`;

export function wants(subscriber: Subscriber, type: string): boolean {
  return subscriber.events.includes("*") || subscriber.events.includes(type);
}

/**
 * How long an ordered delivery waits for an earlier event of its aggregate before it looks again:
 * 250 ms, growing by 100 ms per wait up to 1 s, so a chain of events drains at about one link per
 * wait, and a delivery stuck behind a failing event looks once a second.
 */
export function orderWaitMs(deferrals: number): number {
  return Math.min(1000, 250 + 100 * Math.max(0, deferrals));
}

/**
 * Thrown for an ordered subscriber when an earlier event of the same aggregate is not processed
 * yet. It is a `RetryLater`: the job runs again after `orderWaitMs`, without using an attempt, for
 * as long as the delivery job's deferral budget lasts (then it fails and backs off as any error).
 */
export class OutOfOrderError extends RetryLater {
  constructor(subscriber: string, event: string, earlier: string, delayMs = orderWaitMs(0)) {
    super(delayMs, `${subscriber}: event ${event} waits for earlier event ${earlier} of its aggregate`);
    this.name = "OutOfOrderError";
  }
}

/**
 * Runs the subscriber's handler in the event's tenant, in the same transaction as its
 * processed-event record, so the handler's database effects happen once however often the job
 * runs. Returns false when the event had been processed already.
 */
export async function deliver(
  db: Database,
  subscriber: Subscriber,
  event: OutboxEvent,
  /** How often this delivery already waited for an earlier event (the job's `ctx.deferrals`). */
  deferrals = 0,
): Promise<boolean> {
  const { seq, ...domainEvent } = event;
  return db.tenant(event.tenantId, async (scope) => {
    // On PostgreSQL a concurrent delivery of the same event waits here on the primary key until the
    // first commits (then inserts nothing) or rolls back (then inserts): never two handlers at once.
    const inserted = await scope.query(
      `insert into processed_events (tenant_id, subscriber, event_id) values ($1, $2, $3)
       on conflict do nothing returning event_id`,
      [event.tenantId, subscriber.name, event.id],
    );
    if (!inserted.length) return false;
    if (subscriber.ordered) {
      // An earlier event of the aggregate this subscriber wants but has not processed: one still to
      // be dispatched, or one sent to it (not one from before it was deployed). "Earlier" is outbox
      // order among committed rows; writers of one aggregate serialise on its row lock.
      const types = subscriber.events.includes("*") ? null : subscriber.events;
      const earlier = await scope.query<{ event_id: string }>(
        `select o.event_id from outbox o
         where o.tenant_id = $1 and o.aggregate_type = $2 and o.aggregate_id = $3 and o.id < $4
           and ($5::text[] is null or o.type = any($5::text[]))
           and (o.dispatched_at is null or $6 = any(o.delivered_to))
           and not exists (select 1 from processed_events p where p.subscriber = $6 and p.event_id = o.event_id)
         order by o.id limit 1`,
        [event.tenantId, event.aggregateType, event.aggregateId, seq, types, subscriber.name],
      );
      const first = earlier[0];
      if (first) throw new OutOfOrderError(subscriber.name, event.id, first.event_id, orderWaitMs(deferrals));
    }
    await subscriber.handler(domainEvent as DomainEvent, scope);
    return true;
  });
}
