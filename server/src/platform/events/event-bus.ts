import { type Database, inBackground, type Scope } from "../db/index.ts";
import { newId } from "../ids/ids.ts";
import type { JobQueue, JobToSend } from "../jobs/jobs.ts";
import { queueNames } from "../jobs/jobs.ts";
import type { Logger } from "../logger.ts";
import {
  type DeliveryJob,
  deliver,
  deliverJobName,
  deliveryKey,
  OutOfOrderError,
  wants,
} from "./delivery.ts";
import type { DomainEvent, EventBus, NewEvent, Subscriber } from "./events.ts";
import {
  claimPending,
  insertEvent,
  insertEvents,
  markDispatched,
  type OutboxEvent,
  releaseClaim,
} from "./outbox.ts";
import { pruneEvents } from "./prune.ts";

export interface EventBusOptions {
  db: Database;
  jobs: JobQueue;
  log?: Logger;
  /** Outbox rows claimed per dispatch transaction. */
  batchSize?: number;
  /** How long a claim keeps other dispatchers off a row while its jobs are sent. */
  leaseMs?: number;
  /** Period of the sweep that catches rows whose wake-up was lost. */
  sweepMs?: number;
  /** Commits within this window share one dispatch. */
  debounceMs?: number;
  /** Delivery jobs per `sendMany` call (one INSERT, or one Redis round trip per engine queue). */
  sendBatch?: number;
  /** Attempts of a delivery job (waits of an ordered subscriber for earlier events use none). */
  deliveryAttempts?: number;
  /** Waits for an earlier event a delivery to an ordered subscriber gets before they count as failures. */
  orderWaitDeferrals?: number;
  /** Dispatched events and processed-event records are deleted after this long. Default 30 days. */
  retentionMs?: number;
  /** How often this process prunes them. Default hourly. */
  pruneEveryMs?: number;
}

/**
 * The outbox event bus.
 *
 * Dispatch is claim → send → mark, each step its own statement outside any open transaction:
 * 1. a system transaction leases pending rows (`FOR UPDATE SKIP LOCKED`, `claimed_until`);
 * 2. one delivery job per (event, interested subscriber) is sent with key `eventId:subscriber`, in
 *    batches (`sendMany`);
 * 3. the rows are marked dispatched.
 * A crash after 1 leaves rows that the sweep of any process claims once the lease ends; a crash
 * after 2 makes the next dispatcher send the same jobs again, which the queue drops by key (while
 * the first job is kept, 7 days) and which `processed_events` would skip anyway. Marking first and
 * sending after could lose deliveries; sending inside the claim transaction is impossible on
 * PGlite's single connection. Guarantee: every committed event reaches every subscriber registered
 * at dispatch time (that wants it and whose `accepts` does not refuse it) at least once, and its
 * database effects happen once (processed-event record in the handler's transaction).
 * Subscribers must be registered in every process before `start`.
 */
export function createEventBus(options: EventBusOptions): EventBus {
  const { db, jobs, log } = options;
  const batchSize = options.batchSize ?? 500;
  const leaseMs = options.leaseMs ?? 30_000;
  const sendBatch = Math.max(1, options.sendBatch ?? 500);
  const subscribers = new Map<string, Subscriber>();
  let running = false;
  let sweepTimer: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let current: Promise<number> | undefined;
  let next: Promise<number> | undefined;

  /**
   * Ordered deliveries waiting in this process for an earlier event, per subscriber and aggregate:
   * event id → outbox seq. When a delivery of the aggregate ends, the earliest waiter is promoted
   * rather than left to its timer. A waiter that another process runs later is not seen here: it
   * still goes on its timer, so this only ever saves time. Bounded; the oldest lanes go first.
   */
  const waiting = new Map<string, Map<string, number>>();
  const maxWaitingLanes = 1000;

  function laneOf(sub: Subscriber, event: OutboxEvent) {
    return `${sub.name}\n${event.tenantId}\n${event.aggregateType}\n${event.aggregateId}`;
  }

  function noteWaiting(lane: string, event: OutboxEvent) {
    const waiters = waiting.get(lane) ?? new Map<string, number>();
    waiters.set(event.id, event.seq);
    waiting.delete(lane);
    waiting.set(lane, waiters);
    for (const oldest of waiting.keys()) {
      if (waiting.size <= maxWaitingLanes) break;
      waiting.delete(oldest);
    }
  }

  /** A delivery of the lane ended: the next waiter (earliest in outbox order) need not wait longer. */
  async function nudgeNext(lane: string, sub: Subscriber, done: OutboxEvent) {
    const waiters = waiting.get(lane);
    if (!waiters) return;
    waiters.delete(done.id);
    let next: [string, number] | undefined;
    for (const w of waiters) if (w[1] > done.seq && (!next || w[1] < next[1])) next = w;
    if (next) waiters.delete(next[0]);
    if (waiters.size === 0) waiting.delete(lane);
    if (!next) return;
    try {
      await jobs.promote(deliverJobName(sub.queue ?? "automation"), deliveryKey(next[0], sub.name));
    } catch (err) {
      log?.warn({ err, subscriber: sub.name }, "promoting the next ordered delivery failed; it waits");
    }
  }

  for (const queue of queueNames) {
    jobs.define<DeliveryJob>({
      name: deliverJobName(queue),
      queue,
      attempts: options.deliveryAttempts ?? 10,
      backoffMs: 1000,
      // An ordered delivery waits for an earlier event of its aggregate about two minutes
      // (`orderWaitMs`) before its waits count as failures.
      maxDeferrals: options.orderWaitDeferrals ?? 120,
      handler: async ({ subscriber, event }, ctx) => {
        const sub = subscribers.get(subscriber);
        if (!sub) throw new Error(`no subscriber ${subscriber} in this process`);
        if (!sub.ordered) {
          await deliver(db, sub, event);
          return;
        }
        const lane = laneOf(sub, event);
        try {
          await deliver(db, sub, event, ctx.deferrals);
        } catch (err) {
          if (err instanceof OutOfOrderError) noteWaiting(lane, event);
          throw err;
        }
        await nudgeNext(lane, sub, event);
      },
    });
  }

  async function accepted(sub: Subscriber, event: OutboxEvent): Promise<boolean> {
    try {
      return await sub.accepts!(event);
    } catch (err) {
      log?.warn({ err, subscriber: sub.name }, "subscriber accepts() failed; delivering");
      return true;
    }
  }

  /** Sends the delivery jobs of a batch; returns the subscribers each row was sent to. */
  async function send(batch: OutboxEvent[]): Promise<Map<number, string[]>> {
    const deliveredTo = new Map<number, string[]>();
    const sends: JobToSend[] = [];
    for (const event of batch) {
      const names: string[] = [];
      for (const sub of subscribers.values()) {
        if (!wants(sub, event.type)) continue;
        if (sub.accepts && !(await accepted(sub, event))) continue;
        names.push(sub.name);
        const job: DeliveryJob = { subscriber: sub.name, event };
        sends.push({
          name: deliverJobName(sub.queue ?? "automation"),
          data: job,
          options: { key: deliveryKey(event.id, sub.name) },
        });
      }
      deliveredTo.set(event.seq, names);
    }
    // In outbox order, so deliveries of one aggregate tend to run in order too.
    for (let i = 0; i < sends.length; i += sendBatch) {
      await jobs.sendMany(sends.slice(i, i + sendBatch));
    }
    return deliveredTo;
  }

  /** One claim → send → mark round; returns how many rows it moved. */
  async function dispatchOnce(): Promise<number> {
    const batch = await db.system((s) => claimPending(s, batchSize, leaseMs));
    if (!batch.length) return 0;
    const seqs = batch.map((e) => e.seq);
    let deliveredTo: Map<number, string[]>;
    try {
      deliveredTo = await send(batch);
    } catch (err) {
      await db.system((s) => releaseClaim(s, seqs)).catch(() => undefined);
      throw err;
    }
    await db.system((s) => markDispatched(s, deliveredTo));
    return batch.length;
  }

  /**
   * Single flight per process. A call while a pump runs gets one more pump after it (shared by all
   * such callers), so rows committed before the call are moved when its promise resolves.
   */
  function pump(): Promise<number> {
    if (!current) {
      // Moving outbox rows to subscribers is background work: requests go first on PGlite.
      current = inBackground(drain).finally(() => {
        current = undefined;
      });
      return current;
    }
    if (!next) {
      next = current
        .catch(() => 0)
        .then(() => {
          next = undefined;
          return pump();
        });
    }
    return next;
  }

  async function drain(): Promise<number> {
    let moved = 0;
    let n: number;
    do {
      n = await dispatchOnce();
      moved += n;
    } while (n === batchSize);
    return moved;
  }

  function wake() {
    if (!running || wakeTimer) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      pump().catch((err) => log?.warn({ err }, "outbox dispatch failed; the sweep retries"));
    }, options.debounceMs ?? 5);
  }

  return {
    async publish<P extends Record<string, unknown>>(scope: Scope, e: NewEvent<P>): Promise<DomainEvent<P>> {
      const tenantId = scope.tenantId;
      if (!tenantId) throw new Error(`event ${e.type} published from a scope without a tenant`);
      const stored = await insertEvent(scope, {
        id: newId("evt"),
        tenantId,
        type: e.type,
        aggregateType: e.aggregateType,
        aggregateId: e.aggregateId,
        payload: e.payload ?? {},
      });
      scope.onCommit(wake);
      const { seq, ...event } = stored;
      return event as DomainEvent<P>;
    },

    async publishMany(scope: Scope, events: NewEvent[]): Promise<void> {
      if (events.length === 0) return;
      const tenantId = scope.tenantId;
      if (!tenantId) throw new Error(`events ${events[0]?.type} published from a scope without a tenant`);
      await insertEvents(
        scope,
        events.map((e) => ({
          id: newId("evt"),
          tenantId,
          type: e.type,
          aggregateType: e.aggregateType,
          aggregateId: e.aggregateId,
          payload: e.payload ?? {},
        })),
      );
      scope.onCommit(wake);
    },

    subscribe(subscriber) {
      if (subscribers.has(subscriber.name)) throw new Error(`subscriber ${subscriber.name} registered twice`);
      subscribers.set(subscriber.name, subscriber);
    },

    dispatchPending: () => pump(),

    async start() {
      if (running) return;
      running = true;
      sweepTimer = setInterval(() => {
        pump().catch((err) => log?.warn({ err }, "outbox sweep failed"));
      }, options.sweepMs ?? 1500);
      sweepTimer.unref();
      pruneTimer = setInterval(() => {
        pruneEvents(db, { olderThanMs: options.retentionMs }).catch((err) =>
          log?.warn({ err }, "event prune failed"),
        );
      }, options.pruneEveryMs ?? 3600_000);
      pruneTimer.unref();
      wake();
    },

    async stop() {
      running = false;
      clearInterval(sweepTimer);
      clearInterval(pruneTimer);
      clearTimeout(wakeTimer);
      wakeTimer = undefined;
      await next?.catch(() => undefined);
      await current?.catch(() => undefined);
    },
  };
}
