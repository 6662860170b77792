import type { Scope } from "../db/index.ts";
import type { JobToSend, QueueName } from "../jobs/jobs.ts";

/**
 * Domain events through a transactional outbox.
 *
 * - `publish(scope, …)` inserts the event into `outbox` inside the caller's transaction, so the
 *   event exists if and only if the change committed. After commit the dispatcher is woken.
 * - The dispatcher (any number of processes, `FOR UPDATE SKIP LOCKED` plus a lease) turns each
 *   outbox row into one delivery job per interested subscriber (job `events.deliver.<queue>` on the
 *   subscriber's queue, key `eventId:subscriber`), then marks it sent (guarantee: event-bus.ts).
 *   A periodic sweep catches rows whose wake-up was lost (a crash right after commit).
 * - A delivery runs the handler in a tenant transaction that also inserts the processed-event
 *   record `(subscriber, eventId)`: a redelivered event is skipped, so effects in the database
 *   happen once. Effects outside the database use `runStep`-style keys.
 * - `ordered: true` subscribers see the events of one aggregate in outbox order: a delivery whose
 *   earlier event is not processed yet waits (`RetryLater`, a few hundred ms, no attempt used) and
 *   looks again; after about two minutes of waiting it fails and backs off as any error. An earlier
 *   event that goes to the dead letters holds the aggregate's later events until it is retried.
 */
export interface DomainEvent<P = Record<string, unknown>> {
  id: string;
  type: string;
  tenantId: string;
  aggregateType: string;
  aggregateId: string;
  payload: P;
  at: string;
}

export interface NewEvent<P = Record<string, unknown>> {
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload?: P;
}

export interface Subscriber {
  /** Stable name: part of the processed-event key, never rename a live subscriber. */
  name: string;
  /** Event types, or `*` for all. */
  events: string[];
  queue?: QueueName;
  ordered?: boolean;
  /**
   * Asked by the dispatcher, per event it `wants`, before a delivery job is made: false skips the
   * delivery (no job, no transaction, no processed-event record). For a subscriber with `*` that
   * acts on few tenants. It may read a cache and so be stale: answer false only where a missed
   * event is caught up some other way (a sweep). A throw counts as true.
   */
  accepts?: (event: DomainEvent) => boolean | Promise<boolean>;
  handler: (event: DomainEvent, scope: Scope) => Promise<void>;
}

export interface EventBus {
  publish<P extends Record<string, unknown>>(scope: Scope, event: NewEvent<P>): Promise<DomainEvent<P>>;
  /** Many events in one statement (bulk writers), in order; same guarantees as `publish`. */
  publishMany(scope: Scope, events: NewEvent[]): Promise<void>;
  subscribe(subscriber: Subscriber): void;
  /** Moves pending outbox rows to delivery jobs now; returns how many rows it moved. */
  dispatchPending(): Promise<number>;
  /** Starts the wake-on-commit dispatcher and the periodic sweep. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Raw inbound platform events (WeCom, OA, stores): verified, stored once, then processed. */
export interface InboundEvent {
  platform: string;
  /** The platform's identity of the event; a retry of the same event has the same key. */
  eventKey: string;
  kind: string;
  payload: Record<string, unknown>;
}

export interface Inbox {
  /**
   * Durably stores the event (unique per tenant, platform and key) and, after commit, enqueues its
   * processing. Returns `duplicate: true` for a retry of an event already stored.
   */
  receive(tenantId: string, event: InboundEvent): Promise<{ id: number; duplicate: boolean }>;
  /** Registers the processor of one platform's events; runs in a tenant transaction. */
  handle(
    platform: string,
    handler: (event: InboundEvent & { id: number; tenantId: string }, scope: Scope) => Promise<void>,
  ): void;
  /**
   * Work on one platform's events that cannot wait for their processing job (a WeCom welcome code
   * lives 20 s). Runs inside the transaction that stores the events, once per stored batch, with the
   * batch's fresh events of that platform (never a retry of a stored one); the jobs it returns are
   * enqueued with the batch's processing jobs in one `sendMany` after commit. It runs in a savepoint:
   * when it throws, its writes are rolled back, the events are still stored and acknowledged, and
   * their processing job must then do the work itself (the handler checks what is already done).
   * Keep it to a few set-based statements per batch: the platform waits for its answer meanwhile.
   */
  onStored(
    platform: string,
    hook: (
      events: Array<InboundEvent & { id: number; tenantId: string }>,
      scope: Scope,
    ) => Promise<JobToSend[]>,
  ): void;
  /** Starts the periodic sweep that re-enqueues stored events whose processing job was lost. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
